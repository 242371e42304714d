// The phase watch (ui/watch.py): asks the server every few seconds whether this participant
// screen must change (GET /api/watch, a small JSON answer from a cache, no script run) and asks
// Streamlit for a rerun only when it must. One watch per page; a redraw hands it new data.

let state = null; // { data, setTriggerValue, timer, live, triggered, triggeredAt }
const RETRIGGER_MS = 5000; // a rerun that drew the old screen once more (a cache a moment behind)

function schedule(seconds) {
  clearTimeout(state.timer);
  state.timer = setTimeout(ask, Math.max(1, seconds) * 1000);
}

async function ask() {
  const { data } = state;
  let every = data.every;
  try {
    const response = await fetch(data.url, { headers: { Accept: "application/json" } });
    if (response.ok) {
      const answer = await response.json();
      if (answer.every) every = answer.every;
      const now = performance.now();
      const again = answer.v === state.triggered && now - state.triggeredAt < RETRIGGER_MS;
      if (answer.v && answer.v !== state.data.version && !again) {
        state.triggered = answer.v;
        state.triggeredAt = now;
        state.setTriggerValue("changed", answer.v);
      }
    }
  } catch (error) {
    every = Math.min(30, every * 2); // no connection: ask less often until it is back
  }
  if (state.live) schedule(every);
}

export default function (component) {
  const { data, setTriggerValue } = component;
  if (state === null) state = { timer: null, live: false, triggered: null, triggeredAt: 0 };
  const moved = !state.data || state.data.url !== data.url || state.data.version !== data.version;
  state.data = data;
  state.setTriggerValue = setTriggerValue;
  if (moved || !state.live) schedule(data.every);
  state.live = true;
  return () => {
    // Unmounted (another page, or a redraw that mounts it again): stop asking until then.
    state.live = false;
    clearTimeout(state.timer);
  };
}
