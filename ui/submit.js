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
    button.disabled = mem.busy || unchanged;
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

  button.onclick = async () => {
    if (mem.busy || mem.saved === shown) return;
    // One submission id per ballot content: a double tap or a resend after a lost answer stores
    // one ballot (services.submit_ballot).
    if (!mem.pending || mem.pending.ballot !== shown) mem.pending = { ballot: shown, id: randomId() };
    mem.busy = true;
    mem.error = null;
    render();
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
        if (data.notify) setTriggerValue("saved", answer.saved);
      } else {
        mem.error = answer.error || texts.failed;
      }
    } catch (e) {
      mem.error = texts.offline;
    } finally {
      clearTimeout(timer);
      mem.busy = false;
      mem.render(); // the latest drawing: a tap during the request redrew the ballot
    }
  };
  mem.render = render;
  render();
}
