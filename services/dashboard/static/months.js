// Month by month: YYYY-MM arithmetic and the ◀ month ▶ picker the health and points pages share.
import { h } from "./dom.js";

/** YYYY-MM of `date` (UTC) shifted by `delta` months. */
export function shiftMonth(month, delta) {
  const [year, m] = month.split("-").map(Number);
  return new Date(Date.UTC(year, m - 1 + delta, 1)).toISOString().slice(0, 7);
}

/**
 * A month picker that calls `draw(month)` for the month in the URL (default: this one), keeps
 * it in the URL, and marks the page ready again after each move. Test ids: `${prefix}-month`,
 * `${prefix}-prev`, `${prefix}-next`. Returns {element, show}.
 */
export function monthNav({ i18n, main }, page, prefix, draw) {
  const current = new Date().toISOString().slice(0, 7);
  let month = new URLSearchParams(location.search).get("month") ?? current;
  const label = h("b", { "data-testid": `${prefix}-month` });
  const next = h("button", { class: "link", type: "button", "data-testid": `${prefix}-next`, onclick: () => go(1) }, i18n.t("next_month"));
  const prev = h("button", { class: "link", type: "button", "data-testid": `${prefix}-prev`, onclick: () => go(-1) }, i18n.t("prev_month"));

  async function show() {
    label.textContent = month;
    next.disabled = month >= current;
    await draw(month);
    const url = new URL(location.href);
    url.searchParams.set("month", month);
    history.replaceState(null, "", url);
  }

  async function go(delta) {
    month = shiftMonth(month, delta);
    main.dataset.ready = "";
    await show();
    main.dataset.ready = page;
  }

  return { element: h("div", { class: "monthnav" }, prev, label, next), show };
}
