// The ring tone, generated with WebAudio (no audio file): a double ring, 0.4 s on, 0.2 s off,
// 0.4 s on, 2 s off, on two mixed tones. Browsers only allow audio after a user gesture: `unlock()`
// is called from the sign-in click (and any click), so the tone can play when a call arrives.

const CYCLE = 3.0;
let ctx = null;
let loop = null;
let master = null;

function context() {
  if (ctx === null) {
    const Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return null;
    ctx = new Ctx();
  }
  return ctx;
}

/** Resume the audio context from a user gesture. Never throws. */
export function unlock() {
  try {
    const c = context();
    if (c && c.state === "suspended") c.resume().catch(() => {});
  } catch {
    /* no audio: the popup still shows */
  }
}

function burst(c, start, length) {
  for (const freq of [400, 450]) {
    const osc = c.createOscillator();
    const gain = c.createGain();
    osc.frequency.value = freq;
    gain.gain.setValueAtTime(0, start);
    gain.gain.linearRampToValueAtTime(0.16, start + 0.02);
    gain.gain.setValueAtTime(0.16, start + length - 0.03);
    gain.gain.linearRampToValueAtTime(0, start + length);
    osc.connect(gain).connect(master);
    osc.start(start);
    osc.stop(start + length + 0.05);
  }
}

function cycle(c) {
  const t = c.currentTime + 0.05;
  burst(c, t, 0.4);
  burst(c, t + 0.6, 0.4);
}

export function startRinging() {
  if (loop !== null) return;
  try {
    const c = context();
    if (!c) return;
    if (c.state === "suspended") c.resume().catch(() => {});
    master = c.createGain();
    master.gain.value = 1;
    master.connect(c.destination);
    cycle(c);
    loop = setInterval(() => cycle(c), CYCLE * 1000);
  } catch {
    loop = null;
  }
}

export function stopRinging() {
  if (loop === null) return;
  clearInterval(loop);
  loop = null;
  try {
    master?.disconnect();
  } catch {
    /* already gone */
  }
  master = null;
}

/** A short DTMF-like feedback beep for keypad presses. */
export function keyBeep(digit) {
  const pairs = {
    1: [697, 1209], 2: [697, 1336], 3: [697, 1477], 4: [770, 1209], 5: [770, 1336], 6: [770, 1477],
    7: [852, 1209], 8: [852, 1336], 9: [852, 1477], "*": [941, 1209], 0: [941, 1336], "#": [941, 1477],
  };
  const freqs = pairs[digit];
  try {
    const c = context();
    if (!c || !freqs || c.state !== "running") return;
    const t = c.currentTime;
    const gain = c.createGain();
    gain.gain.setValueAtTime(0.06, t);
    gain.gain.linearRampToValueAtTime(0, t + 0.12);
    gain.connect(c.destination);
    for (const f of freqs) {
      const osc = c.createOscillator();
      osc.frequency.value = f;
      osc.connect(gain);
      osc.start(t);
      osc.stop(t + 0.13);
    }
  } catch {
    /* feedback only */
  }
}
