// The phase watch (ui/watch.py): asks the server whether this participant screen must change
// (GET /api/watch, a small JSON answer from a cache, no script run) and asks Streamlit for a rerun
// only when it must. The question carries the version the screen shows; the server holds it until
// that changes (or for a while: then it is asked again at once). A change is first offered to the
// page as a cancelable "pw-watch" event: a component that follows it by itself (the ballot before
// the vote, ui/ballot/core.js) cancels it, and no rerun follows. One watch per page; a redraw
// hands it new data.

let state = null; // { data, version, setTriggerValue, timer, asking, live, triggered, triggeredAt }
const RETRIGGER_MS = 5000; // a rerun that drew the old screen once more (a cache a moment behind)

function schedule(seconds) {
  clearTimeout(state.timer);
  state.timer = setTimeout(ask, seconds * 1000);
}

async function ask() {
  const { data } = state;
  let every = data.every;
  const asking = new AbortController(); // one question at a time: a newer one replaces it
  if (state.asking) state.asking.abort();
  state.asking = asking;
  try {
    const url = data.url + "&since=" + encodeURIComponent(state.version);
    const response = await fetch(url, { headers: { Accept: "application/json" }, signal: asking.signal });
    if (response.ok) {
      const answer = await response.json();
      if (answer.every) every = answer.every;
      if (answer.held) every = 0; // the server waited for a change: ask again at once
      const now = performance.now();
      const again = answer.v === state.triggered && now - state.triggeredAt < RETRIGGER_MS;
      if (answer.v && answer.v !== state.version && !again) {
        const offer = new CustomEvent("pw-watch", { detail: answer, cancelable: true });
        if (!window.dispatchEvent(offer)) {
          state.version = answer.v; // the screen follows by itself
          every = 0;
        } else {
          state.triggered = answer.v;
          state.triggeredAt = now;
          state.setTriggerValue("changed", answer.v);
        }
      }
    }
  } catch (error) {
    if (asking.signal.aborted) return; // replaced by a newer question, or unmounted
    every = Math.min(30, every * 2); // no connection: ask less often until it is back
  }
  if (state.asking === asking) state.asking = null;
  if (state.live) schedule(every);
}

export default function (component) {
  const { data, setTriggerValue } = component;
  if (state === null) state = { timer: null, asking: null, live: false, triggered: null, triggeredAt: 0 };
  const moved = !state.data || state.data.url !== data.url || state.data.version !== data.version;
  state.data = data;
  if (moved) state.version = data.version;
  state.setTriggerValue = setTriggerValue;
  // A new screen asks with its own version at once (the server holds the question).
  if (moved || !state.live) schedule(0.2);
  state.live = true;
  return () => {
    // Unmounted (another page, or a redraw that mounts it again): stop asking until then.
    state.live = false;
    clearTimeout(state.timer);
    if (state.asking) state.asking.abort();
    state.asking = null;
  };
}
