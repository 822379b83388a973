// The monthly health check as a traffic-light table, one month at a time.
import { h, put } from "./dom.js";
import { monthNav } from "./months.js";

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
  const body = h("div");
  const nav = monthNav(ctx, "health", "health", async (month) => {
    const report = await get("/v1/health-check", { month });
    put(body, table(i18n, report),
      h("p", { class: "muted small" }, `${i18n.t("as_of")}: ${i18n.when(report.as_of)} (UTC)`));
  });
  put(main, h("h1", {}, i18n.t("health_title")), h("section", { class: "card" }, nav.element, body));
  await nav.show();
}
