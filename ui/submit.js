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
// ballot; under load that takes seconds. A press in between must send the ballot with the tap.
// Dots: the controls on the page show a tap at once, so a press waits until
// the ballot the button carries is the one the controls show. Ranking (its order changes only
// when the server has run): the page notes when a ballot control was last used, and a press waits
// until the button was drawn with new data after that, or its element was marked fresh again by
// a run that left its data as it was (Streamlit sets data-stale="true" on an element's container
// while a run that will redraw it is under way), with the app idle. One submit button per page.
let lastInput = 0;
let lastDrawn = 0; // drawn with new data
let lastSettled = 0; // container marked fresh: the component's new data follows a moment later
const SETTLE_MS = 250;
const IDLE_TRUST_MS = 5000;
let current = null; // the latest component element (its parentElement, inside a shadow root)
const CONTROL_KEYS = /(^| )st-key-(dot|up|down)_/;

function outermostHost(node) {
  let el = node;
  for (let root = el.getRootNode(); root && root.host; root = el.getRootNode()) el = root.host;
  return el;
}

function ballotControl(el) {
  for (let box = el; box; box = box.parentElement) {
    if (CONTROL_KEYS.test(box.className || "")) return box;
  }
  return null;
}

document.addEventListener(
  "click",
  (event) => {
    const target = event.composedPath()[0];
    if (target instanceof Element && ballotControl(target)) lastInput = performance.now();
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

// The ballot the controls on the page show (keys of pages/participate.py: one entry per control
// with a value), or null where they cannot tell (ranking).
function shownOnPage(method) {
  const read = (prefix, valueOf) => {
    const out = {};
    for (const box of document.querySelectorAll(`[data-testid="stMain"] [class*="st-key-${prefix}_"]`)) {
      const key = (box.className.match(new RegExp(`st-key-${prefix}_(\\S+)`)) || [])[1];
      const value = valueOf(box);
      if (key && value) out[key] = value;
    }
    return out;
  };
  const number = (box) => {
    const active = box.querySelector('[role="radio"][aria-checked="true"]');
    return active ? parseInt(active.innerText, 10) || 0 : 0;
  };
  if (method === "dots") return read("dot", number);
  return null;
}

function carries(ballot, shown) {
  return sameEntries(ballot.dots, shown);
}

function sameEntries(a, b) {
  const ka = Object.keys(a).filter((k) => a[k]);
  const kb = Object.keys(b).filter((k) => b[k]);
  return ka.length === kb.length && ka.every((k) => a[k] === b[k]);
}

// The button does not yet carry what the page shows.
function behind(ballot) {
  const app = document.querySelector('[data-testid="stApp"]');
  const state = app ? app.getAttribute("data-test-script-state") : "notRunning";
  const idle = state !== "running" && state !== "rerunRequested";
  const shown = shownOnPage(ballot.method);
  if (shown !== null) {
    if (carries(ballot, shown)) return false;
    // The controls show a tap the button does not carry yet: its run is coming. If none comes
    // (the app idle for a while since the last tap), the page is not as this reading expects:
    // send what the button carries rather than wait.
    return !(idle && performance.now() - lastInput > IDLE_TRUST_MS);
  }
  return (
    !idle || (lastInput > lastDrawn && !(lastSettled > lastInput && performance.now() - lastSettled > SETTLE_MS))
  );
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const REDRAW_WAIT_MS = 30000;

async function press(mem) {
  if (mem.busy) return;
  // Let the page draw a tap made just before (its control shows it a frame later).
  await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
  // A press on the saved ballot does nothing, unless a tap since has changed it.
  if (mem.busy || (mem.saved === JSON.stringify(mem.view.data.ballot) && !behind(mem.view.data.ballot))) return;
  mem.busy = true;
  mem.error = null;
  mem.view.render();
  // A tap just before the press reruns the ballot; the button is drawn again with the ballot
  // that includes it. Send that one, not the ballot drawn before the tap.
  // Past the cap (a lost connection: no run will come) it sends what is shown, as before.
  const waitFrom = performance.now();
  while (behind(mem.view.data.ballot) && performance.now() - waitFrom < REDRAW_WAIT_MS) await sleep(50);
  const { data } = mem.view;
  const shown = JSON.stringify(data.ballot);
  if (mem.saved === shown) {
    mem.busy = false; // the taps since led back to the ballot already saved
    mem.view.render();
    return;
  }
  // One submission id per ballot content: a double tap or a resend after a lost answer stores
  // one ballot (services.submit_ballot_by_token).
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

// The same state drawn as a line at the top of the ballot (role "status"): after a reload the
// first thing a phone shows says whether its vote is saved, not only the bottom of the ballot.
function renderStatusLine(data, parentElement, mem) {
  let line = parentElement.querySelector(".pw-submit-status");
  if (!line) {
    line = document.createElement("div");
    line.className = "pw-submit-status";
    parentElement.appendChild(line);
  }
  const draw = () => {
    const unchanged = mem.saved === mem.shown;
    line.className = "pw-submit-status";
    if (mem.error) {
      line.classList.add("pw-error");
      line.textContent = mem.error;
    } else if (mem.busy) {
      line.textContent = data.texts.sending;
    } else if (unchanged) {
      line.classList.add("pw-saved");
      line.textContent = mem.time ? data.texts.savedAt.replace("{time}", mem.time) : data.texts.saved;
    } else if (mem.saved) {
      line.classList.add("pw-pending");
      line.textContent = data.texts.unsaved;
    } else {
      line.textContent = "";
    }
  };
  mem.lines = [draw];
  mem.shown = JSON.stringify(data.ballot);
  draw();
}

function memoryFor(data) {
  // Per token and method: the facilitator may switch the method (the server's ballot then differs).
  const memKey = data.t + ":" + data.ballot.method;
  let mem = memory.get(memKey);
  if (!mem) {
    mem = { saved: data.saved ? JSON.stringify(data.saved) : null, time: null, busy: false, error: null, lines: [] };
    memory.set(memKey, mem);
  }
  return mem;
}

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  const texts = data.texts;
  if (data.role === "status") {
    renderStatusLine(data, parentElement, memoryFor(data));
    return;
  }
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
  const mem = memoryFor(data);
  mem.shown = shown;
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
    for (const line of mem.lines) line();
  }

  // The latest drawing: a press waits for a pending redraw and then sends what it shows.
  mem.view = { data, render, setTriggerValue };
  current = parentElement;
  lastDrawn = performance.now();
  button.onclick = () => press(mem);
  render();
}
