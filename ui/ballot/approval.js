// Approval, "support" (workshop/methods/approval.py): tick every measure you support, optionally
// up to a limit. One checkbox per measure, named with its measure ("I support this: <title>"), one
// Tab stop each; at the limit the others cannot be ticked, and say why.

function supported(values) {
  return Object.keys(values).filter((mid) => values[mid] === true);
}

// Why ``mid`` cannot be ticked now ("limit"), or null when it can (taking back is always possible).
function approvalRefusal(values, mid, data) {
  if (values[mid] === true) return null;
  const limit = data.rules.limit;
  return limit !== null && limit !== undefined && supported(values).length >= limit ? "limit" : null;
}

const approvalMethod = {
  empty: () => ({}),

  fromPayload(payload) {
    const out = {};
    for (const mid of (payload && payload.approved) || []) out[mid] = true;
    return out;
  },

  toPayload(values) {
    return { method: "approval", approved: supported(values).sort() };
  },

  // The supports of measures the ballot still shows.
  restrict(values, data) {
    const known = new Set(data.goals.flatMap((g) => g.measures.map((m) => m.id)));
    return Object.fromEntries(supported(values).filter((mid) => known.has(mid)).map((mid) => [mid, true]));
  },

  // A draft that fits the measures and the limit on screen now.
  fits(values, data) {
    if (!values || typeof values !== "object" || Array.isArray(values)) return false;
    const known = new Set(data.goals.flatMap((g) => g.measures.map((m) => m.id)));
    const entries = Object.entries(values);
    if (!entries.every(([mid, on]) => known.has(mid) && on === true)) return false;
    const limit = data.rules.limit;
    return limit === null || limit === undefined || entries.length <= limit;
  },

  counter(values, data) {
    const n = supported(values).length;
    const counts = data.texts.counts;
    const text = counts[Math.min(n, counts.length - 1)];
    // At the limit: every support given (calm, not red).
    return { text, empty: data.rules.limit !== null && data.rules.limit !== undefined && n >= data.rules.limit };
  },

  build(body, ctx) {
    const { data, texts } = ctx;
    const boxes = []; // {mid, box, reason}

    const toggle = (entry) => {
      const on = ctx.values[entry.mid] === true;
      if (!on && approvalRefusal(ctx.values, entry.mid, data)) {
        entry.reason.textContent = texts.atLimit || "";
        entry.reason.classList.add("pw-shown");
        return;
      }
      entry.reason.classList.remove("pw-shown");
      const next = { ...ctx.values };
      if (on) delete next[entry.mid];
      else next[entry.mid] = true;
      ctx.set(next);
    };

    for (const goal of data.goals) {
      const section = goalSection(goal);
      for (const measure of goal.measures) {
        const item = measureItem(measure, texts);
        const box = element("button", "pw-support");
        box.type = "button";
        box.setAttribute("role", "checkbox");
        box.setAttribute("aria-label", fill(texts.supportName, { title: measure.title }));
        box.dataset.focusKey = measure.id;
        box.dataset.measure = measure.id;
        const mark = element("span", "pw-check");
        mark.setAttribute("aria-hidden", "true");
        const label = element("span", "pw-support-text", texts.support);
        label.setAttribute("aria-hidden", "true"); // the name says it, with the measure
        box.append(mark, label);
        const reason = element("p", "pw-reason");
        reason.id = "pw-reason-" + measure.id;
        const entry = { mid: measure.id, box, mark, reason };
        box.addEventListener("click", () => toggle(entry));
        item.append(box, reason);
        section.append(item);
        boxes.push(entry);
      }
      body.append(section);
    }

    return (values) => {
      for (const entry of boxes) {
        const on = values[entry.mid] === true;
        const refused = approvalRefusal(values, entry.mid, data);
        entry.box.setAttribute("aria-checked", on ? "true" : "false");
        entry.mark.textContent = on ? "✓" : "";
        // aria-disabled, not disabled: the box keeps its Tab stop and says why it cannot be ticked.
        entry.box.setAttribute("aria-disabled", refused ? "true" : "false");
        entry.box.title = refused ? texts.atLimit || "" : "";
        if (refused) {
          entry.reason.textContent = texts.atLimit || "";
          entry.box.setAttribute("aria-describedby", entry.reason.id);
        } else {
          entry.reason.textContent = "";
          entry.reason.classList.remove("pw-shown");
          entry.box.removeAttribute("aria-describedby");
        }
      }
    };
  },
};

export default function (component) {
  mountBallot(component, approvalMethod);
}
