// One timer for every ticking display on the page, aligned to the second.

const listeners = new Set();
let timer = null;

function tick() {
  for (const fn of listeners) fn();
  timer = setTimeout(tick, 1000 - (Date.now() % 1000) + 5);
}

/** Call `fn` now and every second; returns the unsubscribe function. */
export function everySecond(fn) {
  listeners.add(fn);
  fn();
  if (timer === null) timer = setTimeout(tick, 1000 - (Date.now() % 1000) + 5);
  return () => listeners.delete(fn);
}
