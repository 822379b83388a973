// Churn risk: the at-risk list (open deals by risk, with their reasons) and a lead's risk card.
import { card, h, leadLink, put } from "./dom.js";
import { sortableTable } from "./table.js";

const WORDS = {
  zh: {
    nav: "流失风险", title: "流失风险预警", risk: "风险", opportunity: "商机", days_in_stage: "阶段天数 / 中位数",
    hint: "{as_of} 按最新模型 {version} 评估的未结商机:{horizon} 天内输单的概率,≥ {bar} 即预警;原因为推高风险最多的特征",
    no_model: "尚未训练模型:python -m services.risk train", lead_risk: "流失风险", none: "没有进行中的商机",
    reasons: "原因",
  },
  en: {
    nav: "At risk", title: "Deals at risk", risk: "Risk", opportunity: "Opportunity", days_in_stage: "Days in stage / median",
    hint: "open deals scored at {as_of} by the newest model {version}: the probability of being lost within {horizon} days, at risk from {bar}; reasons are the features raising it most",
    no_model: "no model trained yet: python -m services.risk train", lead_risk: "Churn risk", none: "no open opportunity",
    reasons: "Reasons",
  },
};

const words = (i18n) => WORDS[i18n.lang] ?? WORDS.en;
const percent = (value) => `${Math.round(value * 100)}%`;

// as_of: when the deals were scored (the alerts worker's last risk check, or this request)
function hint(i18n, w, page) {
  return w.hint.replace("{as_of}", i18n.when(page.as_of)).replace("{version}", page.model_version)
    .replace("{horizon}", page.horizon_days).replace("{bar}", percent(page.bar));
}

function reasonList(item) {
  return h("ul", { class: "reasons" }, item.reasons.map((r) => h("li", { "data-feature": r.feature }, r.text)));
}

function riskBadge(item) {
  return h("b", { class: item.at_risk ? "error" : null, "data-risk": item.risk }, percent(item.risk));
}

function riskTable(ctx, items, testid) {
  const { i18n, config } = ctx;
  const w = words(i18n);
  return sortableTable({
    testid,
    rows: items,
    sort: { key: "risk", dir: "desc" },
    rowKey: (r) => r.opportunity_id,
    columns: [
      { key: "risk", label: w.risk, num: true, render: riskBadge },
      { key: "opportunity_id", label: w.opportunity },
      { key: "lead_id", label: i18n.t("lead"), render: (r) => (r.lead_id ? leadLink(config, r.lead_id) : "—") },
      { key: "stage", label: i18n.t("stage"), render: (r) => i18n.stage(r.stage) },
      { key: "days_in_stage", label: w.days_in_stage, num: true,
        render: (r) => `${i18n.num(r.days_in_stage)} / ${i18n.num(r.stage_median_days)}` },
      { key: "owner", label: i18n.t("owner"), render: (r) => r.owner ?? "—" },
      { key: "reasons", label: w.reasons, value: (r) => r.reasons.length, render: reasonList },
    ],
  }).element;
}

/** The at-risk list: open deals at or above the bar, riskiest first. */
export async function renderRisk(ctx) {
  const { i18n, main, get } = ctx;
  const w = words(i18n);
  const page = await get("/v1/opportunities/at-risk", { limit: 200 });
  const body = page.model_version
    ? riskTable(ctx, page.items, "risk-table")
    : h("p", { class: "muted", "data-testid": "risk-no-model" }, w.no_model);
  put(main, h("h1", { "data-testid": "risk-title" }, w.title),
    card(w.title, page.model_version ? hint(i18n, w, page) : null, body));
}

/** A lead's open deals with their risk and reasons, for the lead page (null: nothing to show). */
export async function leadRiskCard(ctx, leadId) {
  const w = words(ctx.i18n);
  const page = await ctx.get(`/v1/leads/${encodeURIComponent(leadId)}/risk`);
  if (!page.model_version) return null;
  const body = page.items.length ? riskTable(ctx, page.items, "lead-risk") : h("p", { class: "muted" }, w.none);
  return card(w.lead_risk, hint(ctx.i18n, w, page), body);
}

export const riskNavLabel = (i18n) => words(i18n).nav;
