// Dot voting (workshop/methods/dots.py): N dots, at most K on one measure, optionally a budget per
// goal. One radio group per measure ("Dots for <title>"): one Tab stop, arrows inside; an option
// that would overspend is not selectable, and says why.

function dotTotals(values, data) {
  const goalOf = {};
  for (const goal of data.goals) for (const m of goal.measures) goalOf[m.id] = goal.id;
  let used = 0;
  const perGoal = {};
  for (const [mid, n] of Object.entries(values)) {
    used += n;
    perGoal[goalOf[mid]] = (perGoal[goalOf[mid]] || 0) + n;
  }
  return { used, perGoal, goalOf };
}

// Why ``n`` dots on ``mid`` cannot be chosen ("total", "goal"), or null when they can.
function dotRefusal(values, mid, n, data) {
  const rules = data.rules;
  const current = values[mid] || 0;
  if (n <= current) return null; // taking dots away is always possible
  if (n > rules.perMeasure) return "measure";
  const { used, perGoal, goalOf } = dotTotals(values, data);
  if (used - current + n > rules.total) return "total";
  if (rules.goalBudget !== null && (perGoal[goalOf[mid]] || 0) - current + n > rules.goalBudget) return "goal";
  return null;
}

const dotsMethod = {
  empty: () => ({}),

  fromPayload(payload) {
    const out = {};
    for (const [mid, n] of Object.entries((payload && payload.dots) || {})) if (n) out[mid] = n;
    return out;
  },

  toPayload(values) {
    const dots = {};
    for (const mid of Object.keys(values).sort()) if (values[mid]) dots[mid] = values[mid];
    return { method: "dots", dots };
  },

  // The dots on measures the ballot still shows.
  restrict(values, data) {
    const known = new Set(data.goals.flatMap((g) => g.measures.map((m) => m.id)));
    return Object.fromEntries(Object.entries(values).filter(([mid]) => known.has(mid)));
  },

  // A draft that fits the measures and the rules on screen now.
  fits(values, data) {
    if (!values || typeof values !== "object") return false;
    const known = new Set(data.goals.flatMap((g) => g.measures.map((m) => m.id)));
    let placed = {};
    for (const [mid, n] of Object.entries(values)) {
      if (!known.has(mid) || !Number.isInteger(n) || n < 0) return false;
      if (dotRefusal(placed, mid, n, data)) return false;
      placed = { ...placed, [mid]: n };
    }
    return true;
  },

  counter(values, data) {
    const left = data.rules.total - dotTotals(values, data).used;
    const counts = data.texts.counts;
    return { text: counts[Math.max(0, Math.min(left, counts.length - 1))], empty: left === 0 };
  },

  build(body, ctx) {
    const { data, texts } = ctx;
    const rules = data.rules;
    const rtl = data.dir === "rtl";
    const groups = []; // {mid, buttons, reason}
    const goalLines = []; // {goal, line}
    const reasons = { total: texts.noneLeft, goal: texts.noneLeftGoal, measure: texts.noneLeft };

    const choose = (group, n, focus) => {
      const refusal = dotRefusal(ctx.values, group.mid, n, data);
      if (refusal) {
        group.reason.textContent = reasons[refusal];
        group.reason.classList.add("pw-shown");
        return false;
      }
      group.reason.classList.remove("pw-shown");
      if ((ctx.values[group.mid] || 0) !== n) ctx.set({ ...ctx.values, [group.mid]: n });
      if (focus) group.buttons[n].focus();
      return true;
    };

    for (const goal of data.goals) {
      const section = goalSection(goal);
      if (rules.goalBudget !== null) {
        const line = element("p", "pw-goal-left");
        section.append(line);
        goalLines.push({ goal, line });
      }
      for (const measure of goal.measures) {
        const item = measureItem(measure, texts);
        const radios = element("div", "pw-dots");
        radios.setAttribute("role", "radiogroup");
        radios.setAttribute("aria-label", fill(texts.groupName, { title: measure.title }));
        const reason = element("p", "pw-reason");
        reason.id = "pw-reason-" + measure.id;
        const group = { mid: measure.id, buttons: [], reason };
        for (let n = 0; n <= rules.perMeasure; n++) {
          const option = element("button", "pw-dot");
          option.type = "button";
          option.setAttribute("role", "radio");
          option.setAttribute("aria-label", texts.options[n]);
          option.dataset.focusKey = measure.id + ":" + n;
          option.dataset.value = String(n);
          const number = element("span", "pw-dot-number", numeral(data, n));
          number.setAttribute("aria-hidden", "true");
          option.append(number);
          if (n) {
            const marks = element("span", "pw-dot-marks", "●".repeat(n));
            marks.setAttribute("aria-hidden", "true");
            option.append(marks);
          }
          option.addEventListener("click", () => choose(group, n, false));
          group.buttons.push(option);
          radios.append(option);
        }
        // Arrows move the choice within the group (in the reading direction), skipping what
        // cannot be chosen; at a limit the reason is said and the choice stays.
        radios.addEventListener("keydown", (event) => {
          const current = ctx.values[group.mid] || 0;
          const forward = rtl ? "ArrowLeft" : "ArrowRight";
          const back = rtl ? "ArrowRight" : "ArrowLeft";
          let step = 0;
          if (event.key === forward || event.key === "ArrowDown") step = 1;
          else if (event.key === back || event.key === "ArrowUp") step = -1;
          else if (event.key === "Home") step = -Infinity;
          else if (event.key === "End") step = Infinity;
          else return;
          event.preventDefault();
          if (step === -Infinity) return void choose(group, 0, true);
          const candidates = [];
          if (step === Infinity) for (let n = rules.perMeasure; n > current; n--) candidates.push(n);
          else for (let n = current + step; n >= 0 && n <= rules.perMeasure; n += step) candidates.push(n);
          const target = candidates.find((n) => !dotRefusal(ctx.values, group.mid, n, data));
          if (target !== undefined) choose(group, target, true);
          else if (candidates.length) choose(group, candidates[candidates.length - 1], true);
        });
        radios.append(reason);
        item.append(radios);
        section.append(item);
        groups.push(group);
      }
      body.append(section);
    }

    return (values) => {
      for (const group of groups) {
        const current = values[group.mid] || 0;
        group.buttons.forEach((option, n) => {
          const refusal = dotRefusal(values, group.mid, n, data);
          const checked = n === current;
          option.setAttribute("aria-checked", checked ? "true" : "false");
          option.tabIndex = checked ? 0 : -1; // one Tab stop per measure: its chosen option
          option.setAttribute("aria-disabled", refusal ? "true" : "false");
          option.title = refusal ? reasons[refusal] : "";
          if (refusal) option.setAttribute("aria-describedby", group.reason.id);
          else option.removeAttribute("aria-describedby");
        });
        // The reason for a refused option is there for a screen reader all the time, and shown
        // once someone tried.
        const firstRefused = group.buttons.map((_b, n) => dotRefusal(values, group.mid, n, data)).find(Boolean);
        if (firstRefused) group.reason.textContent = reasons[firstRefused];
        else {
          group.reason.textContent = "";
          group.reason.classList.remove("pw-shown");
        }
      }
      if (goalLines.length) {
        const { perGoal } = dotTotals(values, data);
        for (const { goal, line } of goalLines) {
          const left = Math.max(0, rules.goalBudget - (perGoal[goal.id] || 0));
          const text = texts.goalCounts[Math.min(left, texts.goalCounts.length - 1)];
          if (line.textContent !== text) line.textContent = text;
        }
      }
    };
  },
};

export default function (component) {
  mountBallot(component, dotsMethod);
}
