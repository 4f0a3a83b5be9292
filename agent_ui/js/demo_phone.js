// The demo softphone: no SIP, the simulator's phone behind /api/demo/phone/*.
// Same interface and events as softphone.js; it learns of ringing legs from the live stream
// (`call.offered` carries the leg id) and from GET /api/demo/phone after every (re)connection.

import { Emitter } from "./emitter.js";

const DIALABLE = /^[0-9*#+]{1,32}$/;

export class DemoPhone extends Emitter {
  kind = "demo";
  health = "demo";
  #api;
  #ringing = new Map(); // leg id -> {callerNumber, callerName}
  #active = null; // channel id of the phone's call

  constructor(api) {
    super();
    this.#api = api;
  }

  async start() {
    this.emit("health", { health: "demo", detail: "Simulated phone" });
    await this.sync();
  }

  stop() {
    this.#ringing.clear();
    this.#active = null;
  }

  retry() {
    this.sync();
  }

  /** Reload what the phone has from the server (after a reconnection or a reset). */
  async sync() {
    let phone;
    try {
      phone = await this.#api.get("/api/demo/phone");
    } catch {
      return;
    }
    const ringing = new Set();
    for (const leg of phone.ringing || []) {
      ringing.add(leg.leg_id);
      this.#ring(leg.leg_id, leg.caller_number, leg.caller_name);
    }
    for (const id of [...this.#ringing.keys()]) if (!ringing.has(id)) this.#gone(id);
    const active = (phone.active || [])[0];
    this.#active = active ? active.channel_id ?? active.leg_id ?? null : null;
  }

  /** Live messages of the agent's own topic. */
  onLive(kind, data) {
    if ((kind === "call.offered" || kind === "call.ringing") && data.leg_id) {
      this.#ring(data.leg_id, data.caller_number ?? "", data.caller_name ?? "");
    } else if (kind === "agent.state" && data.state !== "offered") {
      for (const id of [...this.#ringing.keys()]) this.#gone(id);
    } else if (kind === "call.ended") {
      for (const id of [...this.#ringing.keys()]) this.#gone(id);
      if (this.#active) this.emit("ended", { id: this.#active });
      this.#active = null;
    } else if (kind === "hello" || kind === "reset") {
      this.sync();
    }
  }

  #ring(id, callerNumber, callerName) {
    if (this.#ringing.has(id)) return;
    this.#ringing.set(id, { callerNumber, callerName });
    this.emit("incoming", { id, callerNumber, callerName });
  }

  #gone(id) {
    if (this.#ringing.delete(id)) this.emit("incoming-gone", { id });
  }

  async answer(id) {
    await this.#api.post("/api/demo/phone/answer", { leg_id: id });
    this.#ringing.delete(id);
    this.#active = id;
    this.emit("answered", { id });
  }

  async reject(id, statusCode = 603) {
    await this.#api.post("/api/demo/phone/reject", { leg_id: id, cause: statusCode === 486 ? 17 : 21 });
    this.#gone(id);
  }

  async hangup() {
    if (!this.#active) return;
    const id = this.#active;
    await this.#api.post("/api/demo/phone/hangup", { channel_id: id });
    this.#active = null;
    this.emit("ended", { id });
  }

  setMuted() {
    /* nothing to mute: there is no microphone in the demo */
  }

  sendDtmf() {
    return true; // the simulated phone has no media; the key is acknowledged locally
  }

  async dial(number) {
    if (!DIALABLE.test(number)) throw new Error("Enter digits only (and + * #).");
    const answer = await this.#api.post("/api/demo/phone/dial", { number });
    this.#active = answer.channel_id ?? null;
    return this.#active;
  }
}
