// The agent's WebRTC phone: SIP.js UserAgent + Registerer over WebSocket to Asterisk.
//
// Events (same as demo_phone.js): "health" {health: connecting|registered|failed, detail},
// "incoming" {id, callerNumber, callerName}, "incoming-gone" {id}, "answered" {id}, "ended" {id}.
// Hold and transfer go through the API (the engine owns the call); mute is the local track.

import { Inviter, Registerer, RegistererState, SessionState, UserAgent, UserAgentState } from "../vendor/sip-0.21.2.js";
import { Emitter } from "./emitter.js";

const MAX_QUIET_ATTEMPTS = 5; // then show "failed" (and keep retrying slowly)
const DIALABLE = /^[0-9*#+]{1,32}$/;
const MEDIA = { constraints: { audio: true, video: false } };

function iceServers(list) {
  return (list || []).map((entry) => (typeof entry === "string" ? { urls: entry } : entry));
}

export class SipPhone extends Emitter {
  kind = "sip";
  #creds;
  #audio;
  #ua = null;
  #registerer = null;
  #session = null;
  #sessionId = 0;
  #attempts = 0;
  #retryTimer = null;
  #stopped = false;
  #connected = false;
  #health = "connecting";

  constructor(creds, audioElement) {
    super();
    this.#creds = creds;
    this.#audio = audioElement;
  }

  get health() {
    return this.#health;
  }

  #setHealth(health, detail = "") {
    this.#health = health;
    this.emit("health", { health, detail });
  }

  async start() {
    const c = this.#creds;
    const uri = UserAgent.makeURI(c.uri);
    if (!uri) {
      this.#setHealth("failed", "Invalid SIP address from the server");
      return;
    }
    this.#ua = new UserAgent({
      uri,
      displayName: c.display_name || "",
      authorizationUsername: c.username,
      authorizationPassword: c.password,
      transportOptions: { server: c.ws_url, traceSip: false },
      sessionDescriptionHandlerFactoryOptions: {
        peerConnectionConfiguration: { iceServers: iceServers(c.ice_servers) },
      },
      logBuiltinEnabled: false,
      logLevel: "error",
      logConnector: (level, category, label, content) => {
        if (level === "error") console.warn(`SIP.js ${category}: ${content}`);
      },
      delegate: {
        onConnect: () => {
          this.#connected = true;
          this.#register();
        },
        onDisconnect: (error) => {
          const wasConnected = this.#connected;
          this.#connected = false;
          if (this.#stopped) return;
          if (error && wasConnected) {
            this.#setHealth("connecting", "Connection to the phone server lost");
            this.#scheduleReconnect();
          }
        },
        onInvite: (invitation) => this.#incoming(invitation),
      },
    });
    this.#registerer = new Registerer(this.#ua, { expires: 300 });
    this.#registerer.stateChange.addListener((state) => {
      if (state === RegistererState.Registered) {
        this.#attempts = 0;
        this.#setHealth("registered");
      } else if (state === RegistererState.Unregistered && !this.#stopped && this.#health === "registered") {
        this.#setHealth("connecting", "Registration lapsed");
        this.#scheduleReconnect();
      }
    });
    this.#setHealth("connecting");
    await this.#connect();
  }

  async #connect() {
    if (this.#stopped || !this.#ua) return;
    try {
      if (this.#ua.state !== UserAgentState.Started) await this.#ua.start();
      else if (!this.#ua.isConnected()) await this.#ua.reconnect();
      else await this.#register();
    } catch {
      this.#scheduleReconnect();
    }
  }

  async #register() {
    if (this.#stopped || !this.#registerer) return;
    try {
      await this.#registerer.register({
        requestDelegate: {
          onReject: (response) => {
            const msg = response.message;
            this.#setHealth("failed", `Phone registration refused: ${msg.statusCode} ${msg.reasonPhrase}`);
          },
        },
      });
    } catch {
      this.#scheduleReconnect();
    }
  }

  #scheduleReconnect() {
    if (this.#stopped) return;
    clearTimeout(this.#retryTimer);
    this.#attempts += 1;
    if (this.#attempts >= MAX_QUIET_ATTEMPTS) this.#setHealth("failed", "Cannot reach the phone server");
    else this.#setHealth("connecting", "Reconnecting to the phone server");
    const delay = Math.min(30000, 1000 * 2 ** Math.min(this.#attempts, 5));
    this.#retryTimer = setTimeout(() => this.#connect(), delay);
  }

  /** Try again now (the "Retry" button). */
  retry() {
    clearTimeout(this.#retryTimer);
    this.#setHealth("connecting");
    this.#connect();
  }

  async stop() {
    this.#stopped = true;
    clearTimeout(this.#retryTimer);
    try {
      if (this.#session) await this.hangup();
      if (this.#registerer && this.#registerer.state === RegistererState.Registered) await this.#registerer.unregister();
    } catch {
      /* best effort */
    }
    try {
      await this.#ua?.stop();
    } catch {
      /* best effort */
    }
  }

  // ---------------------------------------------------------------- sessions

  #track(session, id, incoming) {
    let established = false;
    session.stateChange.addListener((state) => {
      if (state === SessionState.Established) {
        established = true;
        this.#attachMedia(session);
        this.emit("answered", { id });
      } else if (state === SessionState.Terminated) {
        if (this.#session === session) this.#session = null;
        this.#audio.srcObject = null;
        this.emit(established || !incoming ? "ended" : "incoming-gone", { id });
      }
    });
  }

  #incoming(invitation) {
    if (this.#session) {
      invitation.reject({ statusCode: 486 }).catch(() => {});
      return;
    }
    const id = `sip-${++this.#sessionId}`;
    this.#session = invitation;
    invitation.acdId = id;
    this.#track(invitation, id, true);
    const identity = invitation.remoteIdentity;
    this.emit("incoming", {
      id,
      callerNumber: identity?.uri?.user ?? "",
      callerName: identity?.displayName ?? "",
    });
  }

  #attachMedia(session) {
    const sdh = session.sessionDescriptionHandler;
    if (!sdh || !sdh.remoteMediaStream) return;
    this.#audio.srcObject = sdh.remoteMediaStream;
    this.#audio.play().catch(() => {});
  }

  #current(id) {
    const s = this.#session;
    if (!s || (id && s.acdId !== id)) throw new Error("That call is no longer ringing on your phone.");
    return s;
  }

  async answer(id) {
    const invitation = this.#current(id);
    try {
      await invitation.accept({ sessionDescriptionHandlerOptions: MEDIA });
    } catch (err) {
      const name = err && err.name;
      if (name === "NotAllowedError" || name === "NotFoundError") {
        throw new Error("No microphone available: allow microphone access and try again.");
      }
      throw new Error("The phone could not answer the call.");
    }
  }

  async reject(id, statusCode = 603) {
    const invitation = this.#current(id);
    await invitation.reject({ statusCode });
  }

  /** End whatever the phone has: cancel a call being dialled, refuse a ringing one, or BYE. */
  async hangup() {
    const s = this.#session;
    if (!s) return;
    if (s.state === SessionState.Established) await s.bye();
    else if (s instanceof Inviter) await s.cancel();
    else if (s.state === SessionState.Initial || s.state === SessionState.Establishing) await s.reject();
  }

  setMuted(muted) {
    const sdh = this.#session?.sessionDescriptionHandler;
    if (sdh && typeof sdh.enableSenderTracks === "function") sdh.enableSenderTracks(!muted);
  }

  /** DTMF in the media (RFC 4733), or SIP INFO when the connection has no DTMF sender. */
  sendDtmf(digit) {
    const s = this.#session;
    if (!s || s.state !== SessionState.Established) return false;
    const sdh = s.sessionDescriptionHandler;
    if (sdh && sdh.sendDtmf(digit, { duration: 120, interToneGap: 70 })) return true;
    s.info({
      requestOptions: {
        body: { contentDisposition: "render", contentType: "application/dtmf-relay", content: `Signal=${digit}\r\nDuration=160` },
      },
    }).catch(() => {});
    return true;
  }

  async dial(number) {
    if (!DIALABLE.test(number)) throw new Error("Enter digits only (and + * #).");
    if (this.#session) throw new Error("Hang up the current call first.");
    const domain = this.#creds.domain || UserAgent.makeURI(this.#creds.uri)?.host;
    const target = UserAgent.makeURI(`sip:${number.replace(/#/g, "%23")}@${domain}`);
    if (!target) throw new Error("That number cannot be dialled.");
    const inviter = new Inviter(this.#ua, target, { sessionDescriptionHandlerOptions: MEDIA });
    const id = `sip-${++this.#sessionId}`;
    inviter.acdId = id;
    this.#session = inviter;
    this.#track(inviter, id, false);
    await inviter.invite();
    return id;
  }
}
