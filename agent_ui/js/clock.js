// Server time. Timestamps from the API are the server's epoch seconds; the page may run on a
// machine whose clock is off. The HTTP Date header (1 s resolution) tells us by how much.

let offset = 0; // seconds to add to the local clock

/** Learn from a response's Date header; only a skew beyond 2 s is trusted (its resolution is 1 s). */
export function noteServerDate(header, sentAt, receivedAt) {
  if (!header) return;
  const server = Date.parse(header) / 1000 + 0.5;
  if (Number.isNaN(server)) return;
  const local = (sentAt + receivedAt) / 2000;
  const skew = server - local;
  offset = Math.abs(skew) > 2 ? skew : 0;
}

/** Now on the server's clock, epoch seconds. */
export function serverNow() {
  return Date.now() / 1000 + offset;
}

/** Seconds elapsed since a server timestamp (never negative). */
export function since(ts) {
  return ts ? Math.max(0, serverNow() - ts) : 0;
}

/** Seconds left until a server timestamp (negative when past). */
export function until(ts) {
  return ts ? ts - serverNow() : 0;
}
