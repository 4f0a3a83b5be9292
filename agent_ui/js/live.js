// The live stream (Server-Sent Events on /api/events): reconnects by itself and says how it is.
//
// The browser's EventSource reconnects after a dropped connection and sends Last-Event-ID, so the
// server can replay what we missed; either way the first message of every connection is `hello`
// (the full state) or a `reset` (reload it), so the page is never left with a stale state. When the
// stream is closed for good (an HTTP error), we open a new one with a growing delay.

const KINDS = [
  "hello",
  "reset",
  "agent.state",
  "agent.wrapup_overdue",
  "agent.reachability",
  "call.offered",
  "call.ringing",
  "call.state",
  "call.ended",
  "call.customer",
  "call.refused",
  "queue.stats",
];

/**
 * @param {object} options
 * @param {(kind: string, data: object) => void} options.onMessage
 * @param {(status: "connecting"|"open"|"reconnecting") => void} options.onStatus
 * @param {() => Promise<boolean>} options.stillLoggedIn  checked before reopening a closed stream
 */
export function createLive({ onMessage, onStatus, stillLoggedIn, url = "/api/events" }) {
  let source = null;
  let retryTimer = null;
  let delay = 1000;
  let stopped = true;
  let everOpen = false;

  function open() {
    clearTimeout(retryTimer);
    source = new EventSource(url);
    onStatus(everOpen ? "reconnecting" : "connecting");
    source.addEventListener("open", () => {
      everOpen = true;
      delay = 1000;
      onStatus("open");
    });
    source.addEventListener("error", () => {
      if (stopped) return;
      if (source.readyState === EventSource.CLOSED) {
        onStatus("reconnecting");
        scheduleReopen();
      } else {
        onStatus("reconnecting"); // the browser retries by itself
      }
    });
    for (const kind of KINDS) {
      source.addEventListener(kind, (event) => {
        let data;
        try {
          data = JSON.parse(event.data || "{}");
        } catch {
          return;
        }
        onMessage(kind, data);
      });
    }
  }

  function scheduleReopen() {
    source?.close();
    clearTimeout(retryTimer);
    retryTimer = setTimeout(async () => {
      if (stopped) return;
      let ok = true;
      try {
        ok = await stillLoggedIn();
      } catch {
        ok = true; // unknown (network down): keep trying
      }
      if (!ok || stopped) return;
      open();
    }, delay);
    delay = Math.min(delay * 2, 15000);
  }

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      everOpen = false;
      delay = 1000;
      open();
    },
    stop() {
      stopped = true;
      clearTimeout(retryTimer);
      source?.close();
      source = null;
    },
  };
}
