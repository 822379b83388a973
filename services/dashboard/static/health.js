// The monthly health check as a traffic-light table, one month at a time.
import { h, put } from "./dom.js";

/** YYYY-MM of `date` (UTC) shifted by `delta` months. */
export function shiftMonth(month, delta) {
  const [year, m] = month.split("-").map(Number);
  return new Date(Date.UTC(year, m - 1 + delta, 1)).toISOString().slice(0, 7);
}

function shown(i18n, indicator) {
  if (indicator.value === null) return "—";
  return indicator.unit === "ratio" ? i18n.pct(indicator.value) : i18n.days(indicator.value);
}

function table(i18n, report) {
  const zh = i18n.lang === "zh";
  return h("table", { "data-testid": "health-table" },
    h("thead", {}, h("tr", {}, ["indicator", "value", "normal", "alarm", "status", "action"].map((key) =>
      h("th", { class: key === "value" ? "num" : null }, i18n.t(key))))),
    h("tbody", {}, report.indicators.map((indicator) => h("tr", { "data-indicator": indicator.name, "data-status": indicator.status },
      h("td", {}, zh ? indicator.label_zh : indicator.label),
      h("td", { class: "num", "data-key": "value" }, shown(i18n, indicator),
        h("div", { class: "muted small" }, indicator.unit === "ratio"
          ? `${i18n.num(indicator.numerator)} / ${i18n.num(indicator.denominator)}`
          : `n = ${indicator.denominator}`)),
      h("td", {}, i18n.range(indicator.normal_range)),
      h("td", {}, i18n.range(indicator.alarm_range)),
      h("td", {}, h("span", { class: `light ${indicator.status}`, "data-testid": `light-${indicator.name}` }, i18n.t(indicator.status))),
      h("td", {}, zh ? indicator.action_zh : indicator.action)))));
}

export async function renderHealth(ctx) {
  const { i18n, main, get } = ctx;
  const current = new Date().toISOString().slice(0, 7);
  let month = new URLSearchParams(location.search).get("month") ?? current;
  const label = h("b", { "data-testid": "health-month" });
  const body = h("div");
  const next = h("button", { class: "link", type: "button", "data-testid": "health-next", onclick: () => go(1) }, i18n.t("next_month"));
  const prev = h("button", { class: "link", type: "button", "data-testid": "health-prev", onclick: () => go(-1) }, i18n.t("prev_month"));

  async function draw() {
    label.textContent = month;
    next.disabled = month >= current;
    const report = await get("/v1/health-check", { month });
    put(body, table(i18n, report),
      h("p", { class: "muted small" }, `${i18n.t("as_of")}: ${i18n.when(report.as_of)} (UTC)`));
    const url = new URL(location.href);
    url.searchParams.set("month", month);
    history.replaceState(null, "", url);
  }

  async function go(delta) {
    month = shiftMonth(month, delta);
    main.dataset.ready = "";
    await draw();
    main.dataset.ready = "health";
  }

  put(main, h("h1", {}, i18n.t("health_title")),
    h("section", { class: "card" }, h("div", { class: "monthnav" }, prev, label, next), body));
  await draw();
}
