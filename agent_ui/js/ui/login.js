// The sign-in form (agent page and wallboard): errors shown, the 429 wait counted down.

import { api, setCsrfToken } from "../api.js";
import { byId, setText } from "../dom.js";

/**
 * @param {(session: object) => void} onLoggedIn  called with the login answer
 * @param {() => void} [onGesture]  called on submit (a user gesture: unlock audio)
 */
export function mountLogin(onLoggedIn, onGesture = () => {}) {
  const form = byId("login-form");
  const agent = byId("login-agent");
  const password = byId("login-password");
  const error = byId("login-error");
  const submit = byId("login-submit");
  let waitTimer = null;

  function showError(message) {
    setText(error, message);
    error.hidden = !message;
  }

  function lockFor(seconds) {
    clearInterval(waitTimer);
    let left = Math.max(1, Math.ceil(seconds));
    submit.disabled = true;
    const tick = () => {
      if (left <= 0) {
        clearInterval(waitTimer);
        submit.disabled = false;
        setText(submit, "Sign in");
        showError("");
        return;
      }
      showError(`Too many sign-in attempts. Try again in ${left} s.`);
      setText(submit, `Wait ${left} s`);
      left -= 1;
    };
    tick();
    waitTimer = setInterval(tick, 1000);
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    onGesture();
    const agentId = agent.value.trim();
    if (!agentId || !password.value) {
      showError("Enter your agent ID and password.");
      (agentId ? password : agent).focus();
      return;
    }
    submit.disabled = true;
    setText(submit, "Signing in…");
    showError("");
    try {
      const answer = await api.post("/api/login", { agent_id: agentId, password: password.value }, { expectAuth: false });
      setCsrfToken(answer.csrf_token);
      password.value = "";
      submit.disabled = false;
      setText(submit, "Sign in");
      onLoggedIn(answer);
    } catch (err) {
      if (err.status === 429) {
        lockFor(err.retryAfter || 30);
        return;
      }
      submit.disabled = false;
      setText(submit, "Sign in");
      showError(err.status === 401 ? "Wrong agent ID or password." : err.message);
      password.select();
      password.focus();
    }
  });

  return {
    show(message = "") {
      byId("login-view").hidden = false;
      showError(message);
      (agent.value ? password : agent).focus();
    },
    hide() {
      byId("login-view").hidden = true;
    },
  };
}
