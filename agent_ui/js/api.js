// The API client: JSON in and out, the CSRF token on unsafe methods, errors as ApiError.

import { noteServerDate } from "./clock.js";

const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);
const TIMEOUT_MS = 15000;

let csrfToken = null;
let sessionLost = null;

/** An error answer of the API ({"error": {"code", "message"}}) or a network failure (status 0). */
export class ApiError extends Error {
  constructor(status, code, message, retryAfter = null) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

export function setCsrfToken(token) {
  csrfToken = token || null;
}

/** Called once when an authenticated request answers 401 (the session expired or was ended). */
export function onSessionLost(fn) {
  sessionLost = fn;
}

const FALLBACK_MESSAGES = {
  400: "The request was not accepted.",
  401: "Please sign in again.",
  403: "You are not allowed to do that.",
  404: "Not found.",
  409: "That is not possible right now.",
  429: "Too many attempts. Please wait.",
};

async function request(method, path, body, { expectAuth = true } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (UNSAFE.has(method) && csrfToken) headers["X-CSRF-Token"] = csrfToken;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
  const sentAt = Date.now();
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
      cache: "no-store",
      signal: controller.signal,
    });
  } catch (err) {
    const timedOut = err && err.name === "AbortError";
    throw new ApiError(0, timedOut ? "timeout" : "network", timedOut ? "The server did not answer in time." : "Cannot reach the server.");
  } finally {
    clearTimeout(timer);
  }
  noteServerDate(response.headers.get("Date"), sentAt, Date.now());
  let data = null;
  if (response.status !== 204) {
    const text = await response.text();
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        data = null;
      }
    }
  }
  if (response.ok) return data ?? {};
  const error = data && typeof data === "object" && data.error ? data.error : {};
  const retryAfter = Number(response.headers.get("Retry-After")) || null;
  const apiError = new ApiError(
    response.status,
    typeof error.code === "string" ? error.code : `http-${response.status}`,
    typeof error.message === "string" && error.message ? error.message : FALLBACK_MESSAGES[response.status] ?? `Server error (${response.status}).`,
    retryAfter,
  );
  if (response.status === 401 && expectAuth && sessionLost) sessionLost(apiError);
  throw apiError;
}

export const api = {
  get: (path, options) => request("GET", path, undefined, options),
  post: (path, body, options) => request("POST", path, body, options),
};

/** A path segment from an id (call ids may contain '#'). */
/**
 * Whether the session still holds (asked when the live stream keeps failing): on a 401 the
 * page is told through ``onExpired``; any other failure is the network, not the session.
 */
export async function stillLoggedIn(onExpired) {
  try {
    await api.get("/api/session", { expectAuth: false });
    return true;
  } catch (err) {
    if (err.status === 401) {
      onExpired("Your session has ended. Please sign in again.");
      return false;
    }
    return true;
  }
}

export function seg(value) {
  return encodeURIComponent(String(value));
}
