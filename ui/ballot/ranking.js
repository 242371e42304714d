// Ranking of a shortlist (workshop/methods/ranking.py): the shortlisted measures in one list, the
// most important at the top, moved with a "Move up" and a "Move down" button per measure. Each
// button is named with its measure and its place ("Move up: <title> (place 3)"); after a move the
// focus stays on the moved measure's button (at the end of the list: on its other one) and a polite
// live region says where it is now ("<title>: now place 2"). The values are the order of the ids.

function rankedIds(data) {
  return data.goals.flatMap((g) => g.measures.map((m) => m.id));
}

const rankingMethod = {
  // No draft and no stored ballot: the order the page gives (the device's random order).
  empty: (data) => (data && Array.isArray(data.order) ? [...data.order] : []),

  fromPayload(payload) {
    const order = payload && payload.order;
    return Array.isArray(order) ? order.filter((mid) => typeof mid === "string") : [];
  },

  toPayload(values) {
    return { method: "ranking", order: [...values] };
  },

  // The measures the list still shows, in the order given, then the new ones in the page's order.
  restrict(values, data) {
    const known = new Set(rankedIds(data));
    const kept = Array.isArray(values) ? values.filter((mid, i) => known.has(mid) && values.indexOf(mid) === i) : [];
    const start = Array.isArray(data.order) ? data.order : rankedIds(data);
    return kept.concat(start.filter((mid) => known.has(mid) && !kept.includes(mid)));
  },

  // A draft that is an order of exactly the measures on the list now.
  fits(values, data) {
    if (!Array.isArray(values)) return false;
    const known = rankedIds(data);
    return values.length === known.length && new Set(values).size === values.length && values.every((mid) => known.includes(mid));
  },

  // The list is always complete: no counter to show (the live region below speaks the moves).
  counter: () => ({ text: "", empty: false }),

  build(body, ctx) {
    const { data, texts } = ctx;
    const byId = new Map(data.goals.flatMap((g) => g.measures.map((m) => [m.id, m])));
    const list = element("ol", "pw-ranking");
    const live = element("p", "pw-announce");
    live.setAttribute("role", "status");
    live.setAttribute("aria-live", "polite");
    const items = new Map(); // id -> {item, place, up, down}

    const move = (mid, step, button) => {
      const order = [...ctx.values];
      const i = order.indexOf(mid);
      const j = i + step;
      if (i < 0 || j < 0 || j >= order.length) return; // aria-disabled: nothing to do
      [order[i], order[j]] = [order[j], order[i]];
      ctx.set(order);
      // The moved measure keeps the focus: the same button, or at the end of the list the other.
      const parts = items.get(mid);
      const atEnd = step < 0 ? j === 0 : j === order.length - 1;
      const target = atEnd ? (button === parts.up ? parts.down : parts.up) : button;
      target.focus();
      const said = fill(texts.nowPlace, { title: byId.get(mid).title, n: numeral(data, j + 1) });
      // The same words twice in a row are announced again: empty the region first.
      live.textContent = "";
      requestAnimationFrame(() => {
        live.textContent = said;
      });
    };

    const control = (mid, step, className, glyph) => {
      const button = element("button", "pw-move " + className);
      button.type = "button";
      button.dataset.focusKey = mid + (step < 0 ? ":up" : ":down");
      const mark = element("span", "", glyph);
      mark.setAttribute("aria-hidden", "true");
      button.append(mark);
      button.addEventListener("click", () => {
        if (button.getAttribute("aria-disabled") === "true") return;
        move(mid, step, button);
      });
      return button;
    };

    for (const mid of rankedIds(data)) {
      const measure = byId.get(mid);
      const item = element("li", "pw-item pw-rank-item");
      item.dataset.measure = mid;
      const text = element("div", "pw-rank-text");
      const place = element("p", "pw-place");
      text.append(place);
      measureText(text, measure, texts);
      const buttons = element("div", "pw-moves");
      const up = control(mid, -1, "pw-up", "↑");
      const down = control(mid, +1, "pw-down", "↓");
      buttons.append(up, down);
      item.append(text, buttons);
      items.set(mid, { item, place, up, down, title: measure.title });
    }
    body.append(list, live);

    return (values) => {
      const active = body.getRootNode().activeElement;
      values.forEach((mid, i) => {
        const parts = items.get(mid);
        if (!parts) return;
        const n = i + 1;
        const written = numeral(data, n);
        if (list.children[i] !== parts.item) list.insertBefore(parts.item, list.children[i] || null);
        parts.place.textContent = fill(texts.place, { n: written });
        parts.up.setAttribute("aria-label", fill(texts.upName, { title: parts.title, n: written }));
        parts.down.setAttribute("aria-label", fill(texts.downName, { title: parts.title, n: written }));
        parts.up.setAttribute("aria-disabled", n === 1 ? "true" : "false");
        parts.down.setAttribute("aria-disabled", n === values.length ? "true" : "false");
      });
      // Moving an element in the DOM drops its focus: give it back.
      if (active && body.contains(active) && body.getRootNode().activeElement !== active) active.focus();
    };
  },
};

export default function (component) {
  mountBallot(component, rankingMethod);
}
