// Rating on criteria (workshop/methods/rating.py): each measure from 1 (low) to 5 (high) on each
// criterion, or "no opinion". One radio group per measure and criterion, named with both and with
// what 1 and 5 mean ("Impact for <title>, from 1 (low) to 5 (high)"): one Tab stop, arrows inside.
// A criterion's label may come from a file: it is set as text, like every title.

// The measures rated on at least one criterion.
function ratedCount(values) {
  return Object.values(values).filter((per) => Object.keys(per).length > 0).length;
}

function knownIds(data) {
  return {
    measures: new Set(data.goals.flatMap((g) => g.measures.map((m) => m.id))),
    criteria: new Set(data.rules.criteria.map((c) => c.key)),
  };
}

const ratingMethod = {
  empty: () => ({}),

  fromPayload(payload) {
    const out = {};
    for (const [mid, per] of Object.entries((payload && payload.ratings) || {})) {
      const kept = {};
      for (const [key, n] of Object.entries(per || {})) if (Number.isInteger(n)) kept[key] = n;
      if (Object.keys(kept).length) out[mid] = kept;
    }
    return out;
  },

  toPayload(values) {
    const ratings = {};
    for (const mid of Object.keys(values).sort()) {
      const per = {};
      for (const key of Object.keys(values[mid]).sort()) per[key] = values[mid][key];
      if (Object.keys(per).length) ratings[mid] = per;
    }
    return { method: "rating", ratings };
  },

  // The ratings of measures and criteria the ballot still shows.
  restrict(values, data) {
    const known = knownIds(data);
    const out = {};
    for (const [mid, per] of Object.entries(values)) {
      if (!known.measures.has(mid) || !per || typeof per !== "object") continue;
      const kept = Object.fromEntries(Object.entries(per).filter(([key]) => known.criteria.has(key)));
      if (Object.keys(kept).length) out[mid] = kept;
    }
    return out;
  },

  // A draft that fits the measures, the criteria and the scale on screen now.
  fits(values, data) {
    if (!values || typeof values !== "object" || Array.isArray(values)) return false;
    const known = knownIds(data);
    const { min, max } = data.rules;
    return Object.entries(values).every(
      ([mid, per]) =>
        known.measures.has(mid) &&
        per &&
        typeof per === "object" &&
        !Array.isArray(per) &&
        Object.entries(per).every(([key, n]) => known.criteria.has(key) && Number.isInteger(n) && n >= min && n <= max),
    );
  },

  counter(values, data) {
    const counts = data.texts.counts;
    const n = ratedCount(values);
    // Every measure rated: calm, not red (rating only some is fine too).
    return { text: counts[Math.min(n, counts.length - 1)], empty: n > 0 && n === counts.length - 1 };
  },

  build(body, ctx) {
    const { data, texts } = ctx;
    const { min, max, criteria } = data.rules;
    const rtl = data.dir === "rtl";
    const groups = []; // {mid, key, buttons: [no opinion, min..max]}

    // ``n`` null: no opinion (the rating of this criterion is cleared).
    const choose = (group, n, focus) => {
      const next = { ...ctx.values };
      const per = { ...(next[group.mid] || {}) };
      if (n === null) delete per[group.key];
      else per[group.key] = n;
      if (Object.keys(per).length) next[group.mid] = per;
      else delete next[group.mid];
      ctx.set(next);
      if (focus) group.buttons[n === null ? 0 : n - min + 1].focus();
    };

    const option = (group, n, className) => {
      const button = element("button", className);
      button.type = "button";
      button.setAttribute("role", "radio");
      button.dataset.value = n === null ? "" : String(n);
      button.dataset.focusKey = group.mid + ":" + group.key + ":" + button.dataset.value;
      button.addEventListener("click", () => choose(group, n, false));
      group.buttons.push(button);
      return button;
    };

    for (const goal of data.goals) {
      const section = goalSection(goal);
      for (const measure of goal.measures) {
        const item = measureItem(measure, texts);
        for (const criterion of criteria) {
          const row = element("div", "pw-criterion");
          const label = element("p", "pw-criterion-label", criterion.label);
          label.dir = "auto";
          label.setAttribute("aria-hidden", "true"); // the group's name says it, with the measure
          const radios = element("div", "pw-scale");
          radios.setAttribute("role", "radiogroup");
          radios.setAttribute(
            "aria-label",
            fill(texts.groupName, {
              criterion: criterion.label,
              title: measure.title,
              min: numeral(data, min),
              max: numeral(data, max),
            }),
          );
          radios.dataset.measure = measure.id;
          radios.dataset.criterion = criterion.key;
          const group = { mid: measure.id, key: criterion.key, buttons: [] };
          const none = option(group, null, "pw-rate pw-rate-none");
          none.append(element("span", "", texts.noOpinion));
          radios.append(none);
          for (let n = min; n <= max; n++) {
            const button = option(group, n, "pw-rate");
            button.setAttribute("aria-label", texts.options[n - min]);
            const number = element("span", "pw-rate-number", numeral(data, n));
            number.setAttribute("aria-hidden", "true");
            button.append(number);
            radios.append(button);
          }
          // Arrows move the choice within the group, in the reading direction: from "no opinion"
          // to 1 … 5; Home is "no opinion", End the top of the scale.
          radios.addEventListener("keydown", (event) => {
            const current = (ctx.values[group.mid] || {})[group.key];
            const index = current === undefined ? 0 : current - min + 1;
            const forward = rtl ? "ArrowLeft" : "ArrowRight";
            const back = rtl ? "ArrowRight" : "ArrowLeft";
            let target;
            if (event.key === forward || event.key === "ArrowDown") target = Math.min(index + 1, max - min + 1);
            else if (event.key === back || event.key === "ArrowUp") target = Math.max(index - 1, 0);
            else if (event.key === "Home") target = 0;
            else if (event.key === "End") target = max - min + 1;
            else return;
            event.preventDefault();
            choose(group, target === 0 ? null : target - 1 + min, true);
          });
          row.append(label, radios);
          item.append(row);
          groups.push(group);
        }
        section.append(item);
      }
      body.append(section);
    }

    return (values) => {
      for (const group of groups) {
        const current = (values[group.mid] || {})[group.key];
        const checkedIndex = current === undefined ? 0 : current - min + 1;
        group.buttons.forEach((button, i) => {
          const checked = i === checkedIndex;
          button.setAttribute("aria-checked", checked ? "true" : "false");
          button.tabIndex = checked ? 0 : -1; // one Tab stop per group: its chosen option
        });
      }
    };
  },
};

export default function (component) {
  mountBallot(component, ratingMethod);
}
