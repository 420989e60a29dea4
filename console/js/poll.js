// The refresh loop of the pages that re-read dps while they are shown (records, live). A tab in
// the background reads nothing: the loop pauses while document.hidden and reads at once when the
// tab is shown again. A slow or failing dps is read less often, not more: after a poll that failed
// or took longer than the current interval, the interval doubles (up to 30 s); a poll that
// succeeds within the page's own interval brings it back. A poll that throws never ends the loop.

export const MAX_INTERVAL_MS = 30000;

/**
 * The wait before the next poll: `current` is the wait before this one, `base` the page's own
 * interval, `ok` whether the poll succeeded and `took` how long it took (ms).
 */
export function nextInterval(current, base, ok, took, max = MAX_INTERVAL_MS) {
  if (!ok || !(took <= current)) return Math.min(Math.max(current, base) * 2, max);
  if (took <= base) return base;
  return current; // slower than the page's interval but within the current one: keep it
}

/**
 * Calls `poll()` `interval` ms after the previous one finished, while `active()` holds. `poll`
 * resolves false (or throws) for a failed read. The caller makes the first read itself (pages draw
 * before they resolve), so the loop starts with a wait. `onStop` runs once when the loop ends,
 * by the returned stop() or because `active()` no longer holds.
 */
export function startPolling({ poll, interval, active, onStop = () => {} }) {
  let delay = interval;
  let timer = null;
  let running = false;
  let stopped = false;

  function stop() {
    if (stopped) return;
    stopped = true;
    clearTimeout(timer);
    timer = null;
    document.removeEventListener('visibilitychange', onVisibility);
    onStop();
  }

  function schedule() {
    clearTimeout(timer);
    timer = null;
    // Hidden: no timer at all; onVisibility reads when the tab is shown again.
    if (!stopped && !document.hidden) timer = setTimeout(tick, delay);
  }

  async function tick() {
    timer = null;
    if (stopped || running) return;
    if (!active()) return stop();
    if (document.hidden) return;
    running = true;
    const started = performance.now();
    let ok = false;
    try {
      ok = (await poll()) !== false;
    } catch {
      ok = false; // the page reports its own errors; the loop only reads less often
    } finally {
      running = false;
    }
    if (stopped) return;
    if (!active()) return stop();
    delay = nextInterval(delay, interval, ok, performance.now() - started);
    schedule();
  }

  function onVisibility() {
    if (stopped) return;
    if (document.hidden) {
      clearTimeout(timer);
      timer = null;
    } else if (!running && timer === null) {
      tick(); // shown again: what changed meanwhile, at once
    }
  }

  document.addEventListener('visibilitychange', onVisibility);
  schedule();
  return stop;
}
