// The phase watch (ui/watch.py): asks the server whether this participant screen must change
// (GET /api/watch, a small JSON answer from a cache, no script run) and asks Streamlit for a rerun
// only when it must. The question carries the version the screen shows; the server holds it until
// that changes (or for a while: then it is asked again at once). A change is first offered to the
// page as a cancelable "pw-watch" event: a component that follows it by itself (the ballot before
// the vote, ui/ballot/core.js) cancels it, and no rerun follows. One watch per page; a redraw
// hands it new data.

let state = null; // { data, version, texts, setTriggerValue, timer, asking, live, triggered, triggeredAt }
const RETRIGGER_MS = 5000; // a rerun that drew the old screen once more (a cache a moment behind)

// A page that shows measures says which translations it was drawn with (data.tv: language ->
// fingerprint, ui/watch.py); the question carries them, the answer's ``tv`` has the current ones.
function textsQuery(texts) {
  return Object.entries(texts)
    .map(([lang, version]) => lang + ":" + version)
    .join(",");
}

// The screen's languages whose translations changed: {lang: new fingerprint}, or null.
function changedTexts(texts, found) {
  if (!texts) return null;
  const now = found || {};
  let changed = null;
  for (const [lang, version] of Object.entries(texts)) {
    if ((now[lang] || "") !== version) changed = { ...(changed || texts), [lang]: now[lang] || "" };
  }
  return changed;
}

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
    let url = data.url + "&since=" + encodeURIComponent(state.version);
    if (state.texts) url += "&tv=" + encodeURIComponent(textsQuery(state.texts));
    const response = await fetch(url, { headers: { Accept: "application/json" }, signal: asking.signal });
    if (response.ok) {
      const answer = await response.json();
      if (answer.every) every = answer.every;
      if (answer.held) every = 0; // the server waited for a change: ask again at once
      const now = performance.now();
      const again = answer.v === state.triggered && now - state.triggeredAt < RETRIGGER_MS;
      const texts = answer.v === state.version ? changedTexts(state.texts, answer.tv) : null;
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
      } else if (texts) {
        // A translation to this screen's language changed (a language mediator saved): the
        // ballot takes its new texts by itself; any other screen runs the page again.
        const key = answer.v + "|" + textsQuery(texts);
        const offer = new CustomEvent("pw-texts", { detail: answer, cancelable: true });
        if (!window.dispatchEvent(offer)) {
          state.texts = texts;
          every = 0;
        } else if (!(key === state.triggered && now - state.triggeredAt < RETRIGGER_MS)) {
          state.triggered = key;
          state.triggeredAt = now;
          state.setTriggerValue("changed", key);
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

// A ballot drawn without a run of the page (ui/ballot/core.js) says which translations it shows.
window.addEventListener("pw-texts-drawn", (event) => {
  if (state && event.detail) state.texts = event.detail;
});

export default function (component) {
  const { data, setTriggerValue } = component;
  if (state === null) state = { timer: null, asking: null, live: false, triggered: null, triggeredAt: 0 };
  const drawnTexts = JSON.stringify(data.tv || null);
  const moved =
    !state.data ||
    state.data.url !== data.url ||
    state.data.version !== data.version ||
    JSON.stringify(state.data.tv || null) !== drawnTexts;
  state.data = data;
  if (moved) {
    state.version = data.version;
    state.texts = data.tv || null;
  }
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
