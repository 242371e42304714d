// The ballot in the browser (ui/ballot.py): what every method's ballot shares. The method's own
// file (dots.js, ...) follows this one in the same module and draws the controls; this part keeps
// the half-done ballot (in memory and in localStorage, per token and method), the counter, the
// status lines and the submit button, which posts the ballot to the ballot endpoint (ui/api.py).
// A tap changes this page only: nothing is sent to the server until the button is pressed.
// User text is always set as text (textContent, attributes), never as HTML.

// What this page knows per token and method: survives the component's redraws (a rerun of the
// page, a change of language), not a reload (then the draft comes from localStorage and the
// stored ballot from the server, in `data.saved`).
const memory = new Map();
const STORAGE_PREFIX = "planungswerkstatt.ballot.";

function randomId() {
  // crypto.randomUUID needs a secure context; a hall's LAN may serve plain http.
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

// JSON with sorted keys: two ballots are the same when their canonical texts are.
function canon(value) {
  if (Array.isArray(value)) return "[" + value.map(canon).join(",") + "]";
  if (value && typeof value === "object") {
    return "{" + Object.keys(value).sort().map((k) => JSON.stringify(k) + ":" + canon(value[k])).join(",") + "}";
  }
  return JSON.stringify(value);
}

// "{left} of {total} dots left" with its placeholders filled (a function replacement: no "$"
// patterns in user text are interpreted).
function fill(template, values) {
  return String(template).replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

// A number as the reader's language writes it (Persian digits in Persian: ui/ballot.py numerals).
function numeral(data, n) {
  const written = data.numerals && data.numerals[n];
  return typeof written === "string" ? written : String(n);
}

function element(tag, className, text) {
  const el = document.createElement(tag);
  if (className) el.className = className;
  if (text !== undefined && text !== null) el.textContent = String(text);
  return el;
}

// A goal's section with its heading, and a measure's card with its title and description: text
// only, each in its own direction (a German title stays left to right on an Arabic screen).
function goalSection(goal) {
  const section = element("section", "pw-goal");
  const heading = element("h3", "pw-goal-title", goal.title);
  heading.dir = "auto";
  if (goal.lang) heading.lang = goal.lang;
  section.append(heading);
  return section;
}

function measureItem(measure, texts) {
  const item = element("div", "pw-item");
  measureText(item, measure, texts);
  return item;
}

// A measure's title and description in the reader's language (each with its language and its
// own direction), and where that is a translation, or the original in another language: the note
// that says so, and the original one tap away (a native disclosure: keyboard and screen readers
// know it).
function measureText(container, measure, texts) {
  const title = element("p", "pw-measure", measure.title);
  title.dir = "auto";
  if (measure.lang) title.lang = measure.lang;
  container.append(title);
  if (measure.description) {
    const description = element("p", "pw-muted", measure.description);
    description.dir = "auto";
    if (measure.lang) description.lang = measure.lang;
    container.append(description);
  }
  if (!measure.note) return;
  if (!measure.original) {
    container.append(element("p", "pw-note", measure.note));
    return;
  }
  // A disclosure button (not <details>: 60 of them cost the first drawing a tenth more time,
  // bench/ballot_languages.py); the original's paragraphs are made when it is first opened.
  const box = element("div", "pw-original");
  const toggle = element("button", "pw-original-toggle", measure.note + " · " + (texts.showOriginal || ""));
  toggle.type = "button";
  toggle.setAttribute("aria-expanded", "false");
  toggle.dataset.focusKey = "original:" + measure.id;
  toggle.addEventListener("click", () => {
    let shown = box.querySelector(".pw-original-body");
    if (!shown) {
      shown = element("div", "pw-original-body");
      shown.id = "pw-original-" + measure.id;
      toggle.setAttribute("aria-controls", shown.id);
      originalText(shown, measure.original);
      box.append(shown);
    } else {
      shown.hidden = !shown.hidden;
    }
    toggle.setAttribute("aria-expanded", shown.hidden ? "false" : "true");
  });
  box.append(toggle);
  container.append(box);
}

function originalText(container, original) {
  const title = element("p", "pw-original-text", original.title);
  title.dir = "auto";
  title.lang = original.lang || "";
  container.append(title);
  if (original.description) {
    const more = element("p", "pw-muted", original.description);
    more.dir = "auto";
    more.lang = original.lang || "";
    container.append(more);
  }
}

function storageKey(data) {
  return STORAGE_PREFIX + data.method + "." + data.t;
}

function readStored(key) {
  try {
    const value = JSON.parse(localStorage.getItem(key) || "null");
    return value && typeof value === "object" ? value : null;
  } catch (e) {
    return null; // storage blocked (private mode) or garbled: the page works without it
  }
}

function writeStored(key, value) {
  try {
    if (value === null) localStorage.removeItem(key);
    else localStorage.setItem(key, JSON.stringify(value));
  } catch (e) {
    // Storage full or blocked: the ballot still works, only a reload forgets the draft.
  }
}

// A kiosk tablet hands out a new token per person: the previous people's drafts go.
function forgetOtherTokens(data) {
  try {
    const mine = storageKey(data);
    const prefix = STORAGE_PREFIX + data.method + ".";
    for (let i = localStorage.length - 1; i >= 0; i--) {
      const key = localStorage.key(i);
      if (key && key.startsWith(prefix) && key !== mine) localStorage.removeItem(key);
    }
  } catch (e) {
    // nothing to forget where nothing can be stored
  }
}

function memoryFor(data, method) {
  const key = storageKey(data);
  let mem = memory.get(key);
  if (!mem) {
    const stored = readStored(key) || {};
    const saved = data.saved ? canon(data.saved) : null;
    // The draft is what this phone did last (it is removed once saved); a draft that no longer
    // fits the rules or the measures (the facilitator changed them) gives way to the stored ballot.
    const draft = stored.values && method.fits(stored.values, data) ? stored.values : null;
    mem = {
      key,
      saved,
      time: null,
      busy: false,
      error: null,
      values: draft || (data.saved ? method.fromPayload(data.saved) : method.empty(data)),
      pending: stored.pending && typeof stored.pending.id === "string" ? stored.pending : null,
      view: null,
    };
    memory.set(key, mem);
  }
  return mem;
}

// The draft in localStorage: the values unless they are the saved ballot, and the submission id
// of a press that got no answer (a resend of the same ballot after a reload reuses it).
function keep(mem, method) {
  const shown = canon(method.toPayload(mem.values));
  const draft = shown === mem.saved ? null : mem.values;
  writeStored(mem.key, draft || mem.pending ? { values: draft, pending: mem.pending } : null);
}

async function press(mem, method) {
  if (mem.busy) return;
  const view = mem.view;
  const ballot = method.toPayload(mem.values);
  const shown = canon(ballot);
  if (mem.saved === shown) return; // the saved ballot: the button is disabled
  // One submission id per ballot content: a double tap or a resend after a lost answer stores
  // one ballot (services.submit_ballot_by_token); a changed ballot is a new submission.
  if (!mem.pending || mem.pending.ballot !== shown) mem.pending = { ballot: shown, id: randomId() };
  mem.busy = true;
  mem.error = null;
  keep(mem, method);
  view.refresh();
  const { data } = view;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 30000);
  try {
    const response = await fetch(data.url, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ t: data.t, submission: mem.pending.id, ballot }),
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
      if (data.notify) view.setTriggerValue("saved", answer.saved);
    } else {
      mem.error = answer.error || data.texts.failed;
    }
  } catch (e) {
    mem.error = data.texts.offline;
  } finally {
    clearTimeout(timer);
    mem.busy = false;
    keep(mem, method);
    mem.view.refresh(); // the latest drawing (a redraw during the request replaced the view)
  }
}

// A method's component: the screen before the vote (``waiting`` in ui/ballot.py) or the ballot.
function mountBallot(component, method) {
  if (component.data.waiting) return mountWaiting(component, method);
  stopWaiting(component.parentElement);
  drawBallot(component, method);
}

// Before the vote: the message, until the phase watch (ui/watch.js) hears that the vote is open
// with this component's method. Then the ballot comes from GET /api/ballot (the same data the page
// would draw) and is drawn here: the screen turns into the ballot without a run of the page, which
// a hall of phones waiting at once would queue. Where the answer asks for the page (a voting card,
// a kiosk tablet), or the server cannot be reached three times, the page runs after all.
const VIEW_RETRY_MS = [1000, 2000, 4000];

function stopWaiting(host) {
  if (host._pwWatch) window.removeEventListener("pw-watch", host._pwWatch);
  host._pwWatch = null;
  const box = host.querySelector(".pw-waiting");
  if (box) box.remove();
}

function mountWaiting(component, method) {
  const { data, parentElement: host, setTriggerValue } = component;
  const drawn = host.querySelector(".pw-ballot");
  if (drawn) drawn.remove(); // back before the vote (the facilitator reopened the review)
  if (host._pwTexts) window.removeEventListener("pw-texts", host._pwTexts);
  host._pwTexts = null;
  let box = host.querySelector(".pw-waiting");
  if (!box) {
    box = element("p", "pw-waiting");
    box.setAttribute("role", "status");
    host.append(box);
  }
  box.dir = data.dir;
  box.lang = data.lang || "";
  if (box.textContent !== data.waiting) box.textContent = data.waiting;
  if (host._pwWatch) window.removeEventListener("pw-watch", host._pwWatch);
  let taken = false;

  function takeOver() {
    const before = () => stopWaiting(host);
    fetchBallot({ view: data.view, host, want: data.method, method, setTriggerValue, before });
  }

  host._pwWatch = (event) => {
    const answer = event.detail || {};
    if (taken || answer.phase !== "vote" || answer.method !== data.method) return;
    event.preventDefault(); // handled here: the watch does not run the page
    taken = true;
    takeOver();
  };
  window.addEventListener("pw-watch", host._pwWatch);
}

// The ballot from GET /api/ballot (``view``), drawn in ``host`` when it is ``want``'s (``before``
// first). Where the answer asks for the page (a voting card, a kiosk tablet), or the server cannot
// be reached three times, the page runs after all.
async function fetchBallot(ask, attempt = 0) {
  const { view, host, want, method, setTriggerValue, before } = ask;
  try {
    const response = await fetch(view, {
      headers: { Accept: "application/json" },
      cache: "no-store",
      redirect: "error",
    });
    const answer = await response.json();
    if (response.ok && answer.ballot && answer.ballot.method === want) {
      if (!host.isConnected) return;
      if (before) before();
      drawBallot({ data: answer.ballot, parentElement: host, setTriggerValue }, method);
      return;
    }
    if (response.ok || response.status < 500) {
      setTriggerValue("rerun", answer.v || String(Date.now())); // the page knows what to show
      return;
    }
  } catch (e) {
    // no answer: try again shortly
  }
  if (attempt < VIEW_RETRY_MS.length) setTimeout(() => fetchBallot(ask, attempt + 1), VIEW_RETRY_MS[attempt]);
  else setTriggerValue("rerun", String(Date.now()));
}

// A translation made while the ballot is open (a language mediator's save) reaches it without a
// run of the page: the watch (ui/watch.js) offers the change as "pw-texts", the ballot asks for
// its data again and is drawn with the new texts and what this phone has ticked so far.
function followTexts(host, data, method, setTriggerValue) {
  if (host._pwTexts) window.removeEventListener("pw-texts", host._pwTexts);
  host._pwTexts = (event) => {
    if (!host.isConnected) return;
    event.preventDefault(); // handled here: the watch does not run the page
    const view = data.url + "&" + new URLSearchParams({ t: data.t });
    fetchBallot({ view, host, want: data.method, method, setTriggerValue });
  };
  window.addEventListener("pw-texts", host._pwTexts);
}

// Draw the shared frame once per structure (measures, rules, texts, direction) and the method's
// controls in it; later redraws with the same structure only bring the state up to date.
function drawBallot(component, method) {
  const { data, parentElement, setTriggerValue } = component;
  const texts = data.texts;
  const mem = memoryFor(data, method);
  if (data.notify) forgetOtherTokens(data);
  const structure = canon([data.method, data.t, data.dir, data.goals, data.rules, data.texts]);
  let root = parentElement.querySelector(".pw-ballot");
  if (!root || root._structure !== structure) {
    const focusKey = root && root.contains(parentElement.getRootNode().activeElement)
      ? parentElement.getRootNode().activeElement.dataset.focusKey
      : null;
    if (root) root.remove();
    // The measures changed under the ballot (a merge, a hidden measure): keep what still fits.
    if (!method.fits(mem.values, data)) {
      const kept = method.restrict(mem.values, data);
      mem.values = method.fits(kept, data) ? kept : method.empty(data);
    }
    root = element("div", "pw-ballot");
    root._structure = structure; // a property, not an attribute: it holds every measure
    root.dir = data.dir;
    root.lang = data.lang || "";
    const heading = element("h3", "pw-heading", texts.heading || "");
    const top = element("p", "pw-status pw-status-top");
    const bar = element("div", "pw-bar");
    const counter = element("p", "pw-counter");
    counter.setAttribute("role", "status");
    counter.setAttribute("aria-live", "polite");
    bar.append(counter);
    if (texts.hint) bar.append(element("p", "pw-hint", texts.hint));
    const body = element("div", "pw-body");
    const button = element("button", "pw-submit-button");
    button.type = "button";
    button.dataset.testid = "pw-submit";
    button.dataset.focusKey = "submit";
    const status = element("div", "pw-status pw-submit-status");
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    root.append(heading, top, bar, body, button, status);
    parentElement.appendChild(root);
    const ctx = {
      data,
      texts,
      get values() {
        return mem.values;
      },
      set(values) {
        mem.values = values;
        if (mem.pending && mem.pending.ballot !== canon(method.toPayload(values))) mem.error = null;
        keep(mem, method);
        mem.view.refresh();
      },
    };
    const update = method.build(body, ctx);
    root._pw = { top, bar, counter, button, status, update };
    keepFocusInView(root, bar);
    if (focusKey) {
      const again = root.querySelector(`[data-focus-key="${CSS.escape(focusKey)}"]`);
      if (again) again.focus();
    }
  }
  const parts = root._pw;
  parts.button.onclick = () => press(mem, method);

  function refresh() {
    const shown = canon(method.toPayload(mem.values));
    const unchanged = mem.saved === shown;
    parts.update(mem.values);
    const count = method.counter(mem.values, data);
    // In place: the live region is announced when its text changes, not redrawn.
    if (parts.counter.textContent !== count.text) parts.counter.textContent = count.text;
    parts.counter.classList.toggle("pw-empty", Boolean(count.empty));
    parts.button.textContent = mem.busy ? texts.sending : mem.saved && !unchanged ? texts.change : texts.submit;
    // aria-disabled, not disabled: a disabled button drops the keyboard focus to the page.
    parts.button.setAttribute("aria-disabled", mem.busy || unchanged ? "true" : "false");
    parts.button.setAttribute("aria-busy", mem.busy ? "true" : "false");
    const savedText = mem.time ? fill(texts.savedAt, { time: mem.time }) : texts.saved;
    // The bottom line answers the press; the top line says the same to a phone that reloads.
    let bottom = ["", ""];
    let top = ["", ""];
    if (mem.error) bottom = top = ["pw-error", mem.error];
    else if (mem.busy) top = ["", texts.sending];
    else if (unchanged) bottom = top = ["pw-saved", savedText];
    else if (mem.saved) top = ["pw-pending", texts.unsaved];
    for (const [line, [cls, text]] of [
      [parts.status, bottom],
      [parts.top, top],
    ]) {
      line.className = line === parts.top ? "pw-status pw-status-top" : "pw-status pw-submit-status";
      if (cls) line.classList.add(cls);
      if (line.textContent !== text) line.textContent = text;
    }
  }

  mem.view = { data, refresh, setTriggerValue };
  refresh();
  followTexts(parentElement, data, method, setTriggerValue);
  // The watch asks about the translations this ballot was drawn with (also where it took over
  // from the waiting screen, which shows none).
  if (data.tv) window.dispatchEvent(new CustomEvent("pw-texts-drawn", { detail: data.tv }));
}

// The counter stays in view while scrolling (sticky), unless it would take too much of the screen
// (large text); a control that gets the focus behind it is scrolled out from under it.
function keepFocusInView(root, bar) {
  const fit = () => bar.classList.toggle("pw-sticky", bar.offsetHeight < window.innerHeight * 0.2);
  fit();
  if (typeof ResizeObserver === "function") new ResizeObserver(fit).observe(bar);
  root.addEventListener("focusin", (event) => {
    const target = event.target;
    if (!(target instanceof Element) || bar.contains(target) || !bar.classList.contains("pw-sticky")) return;
    const covered = target.getBoundingClientRect().top < bar.getBoundingClientRect().bottom + 4;
    if (covered) target.scrollIntoView({ block: "center" });
  });
}
