// The ballot's submit button (ui/submit.py): posts the ballot shown to the ballot endpoint
// (ui/api.py) and says whether it was saved. No script run on the server for a submit.

// What this page knows it saved, per ballot token: survives the component's re-renders (a tap
// reruns the ballot), not a reload (then the server's stored ballot comes in `data.saved`).
const memory = new Map();

function randomId() {
  // crypto.randomUUID needs a secure context; a hall's LAN may serve plain http.
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

// A tap on the ballot reruns it on the server, and the button is drawn again with the new
// ballot; under load that takes seconds. A press in between must send the ballot with the tap,
// so the page notes when a control was last used and when the button was last brought up to
// date: drawn with new data, or its element marked fresh again after a run that left its data
// as it was (Streamlit sets data-stale="true" on an element's container while a run that will
// redraw it is under way, and back when the run has drawn it). One submit button per page.
let lastInput = 0;
let lastDrawn = 0; // drawn with new data
let lastSettled = 0; // container marked fresh: the component's new data follows a moment later
const SETTLE_MS = 250;
let current = null; // the latest component element (its parentElement, inside a shadow root)

function outermostHost(node) {
  let el = node;
  for (let root = el.getRootNode(); root && root.host; root = el.getRootNode()) el = root.host;
  return el;
}

document.addEventListener(
  "click",
  (event) => {
    const path = event.composedPath();
    if (path.some((el) => el.classList && el.classList.contains("pw-submit"))) return;
    const target = path[0];
    if (!(target instanceof Element) || !target.closest('[data-testid="stMain"]')) return;
    if (target.closest('button, input[type="checkbox"], input[type="radio"]')) lastInput = performance.now();
  },
  true,
);

new MutationObserver((mutations) => {
  if (!current) return;
  const host = outermostHost(current);
  for (const m of mutations) {
    if (m.target.getAttribute("data-stale") !== "true" && m.target.contains(host)) lastSettled = performance.now();
  }
}).observe(document.documentElement, { attributes: true, subtree: true, attributeFilter: ["data-stale"] });

// A control was used since the button was last brought up to date.
const behind = () =>
  lastInput > lastDrawn && !(lastSettled > lastInput && performance.now() - lastSettled > SETTLE_MS);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const REDRAW_WAIT_MS = 30000;

async function press(mem) {
  // A press on the saved ballot does nothing, unless a tap since has changed it.
  if (mem.busy || (mem.saved === JSON.stringify(mem.view.data.ballot) && !behind())) return;
  mem.busy = true;
  mem.error = null;
  mem.view.render();
  // A tap just before the press reruns the ballot; the button is drawn again with the ballot
  // that includes it. Send that one, not the ballot drawn before the tap.
  // Past the cap (a lost connection: no run will come) it sends what is shown, as before.
  const waitFrom = performance.now();
  while (behind() && performance.now() - waitFrom < REDRAW_WAIT_MS) await sleep(50);
  const { data } = mem.view;
  const shown = JSON.stringify(data.ballot);
  if (mem.saved === shown) {
    mem.busy = false; // the taps since led back to the ballot already saved
    mem.view.render();
    return;
  }
  // One submission id per ballot content: a double tap or a resend after a lost answer stores
  // one ballot (services.submit_ballot).
  if (!mem.pending || mem.pending.ballot !== shown) mem.pending = { ballot: shown, id: randomId() };
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 30000);
  try {
    const response = await fetch(data.url, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ t: data.t, submission: mem.pending.id, ballot: data.ballot }),
      signal: controller.signal,
      cache: "no-store",
      redirect: "error", // a hall's captive portal must not pass for the server's answer
    });
    let answer = {};
    try {
      answer = await response.json();
    } catch (e) {
      answer = {};
    }
    if (response.ok && typeof answer.saved === "string") {
      mem.saved = shown;
      mem.time = answer.saved;
      mem.pending = null;
      if (data.notify) mem.view.setTriggerValue("saved", answer.saved);
    } else {
      mem.error = answer.error || data.texts.failed;
    }
  } catch (e) {
    mem.error = data.texts.offline;
  } finally {
    clearTimeout(timer);
    mem.busy = false;
    mem.view.render(); // the latest drawing: a tap during the request redrew the ballot
  }
}

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  const texts = data.texts;
  let box = parentElement.querySelector(".pw-submit");
  if (!box) {
    box = document.createElement("div");
    box.className = "pw-submit";
    box.innerHTML =
      '<button type="button" class="pw-submit-button" data-testid="pw-submit"></button>' +
      '<div class="pw-submit-status" role="status" aria-live="polite"></div>';
    parentElement.appendChild(box);
  }
  const button = box.querySelector("button");
  const status = box.querySelector(".pw-submit-status");
  const shown = JSON.stringify(data.ballot);
  // Per token and method: the facilitator may switch the method (the server's ballot then differs).
  const memKey = data.t + ":" + data.ballot.method;
  let mem = memory.get(memKey);
  if (!mem) {
    mem = { saved: data.saved ? JSON.stringify(data.saved) : null, time: null, busy: false, error: null };
    memory.set(memKey, mem);
  }
  if (mem.pending && mem.pending.ballot !== shown) {
    mem.error = null; // the ballot changed since the failed try: the message is about another one
  }

  function render() {
    const unchanged = mem.saved === shown;
    button.textContent = mem.busy ? texts.sending : mem.saved && !unchanged ? texts.change : texts.submit;
    // aria-disabled, not disabled: a disabled button drops the keyboard focus to the page.
    button.setAttribute("aria-disabled", mem.busy || unchanged ? "true" : "false");
    button.setAttribute("aria-busy", mem.busy ? "true" : "false");
    status.className = "pw-submit-status";
    if (mem.error) {
      status.classList.add("pw-error");
      status.textContent = mem.error;
    } else if (unchanged && !mem.busy) {
      status.classList.add("pw-saved");
      status.textContent = mem.time ? texts.savedAt.replace("{time}", mem.time) : texts.saved;
    } else {
      status.textContent = "";
    }
  }

  // The latest drawing: a press waits for a pending redraw and then sends what it shows.
  mem.view = { data, render, setTriggerValue };
  current = parentElement;
  lastDrawn = performance.now();
  button.onclick = () => press(mem);
  render();
}
