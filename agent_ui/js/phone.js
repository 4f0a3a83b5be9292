// Picks the agent's phone: the WebRTC softphone, or the simulated one in demo mode.
// SIP.js (~560 KB) is only loaded when a real phone is needed.

export async function createPhone(api, audioElement) {
  const sip = await api.get("/api/me/sip");
  if (sip.demo) {
    const { DemoPhone } = await import("./demo_phone.js");
    return new DemoPhone(api);
  }
  const { SipPhone } = await import("./softphone.js");
  return new SipPhone(sip, audioElement);
}
