// One lead: profile, score over time, score by rule, tier and stage history, timeline.
import { barList, lineChart } from "./charts.js";
import { card, h, put, tierBadge } from "./dom.js";
import { leadRiskCard } from "./risk.js";
import { sortableTable } from "./table.js";

const TIER_COLOURS = { lead: "#9ca3af", mql: "#0369a1", sql: "#6d28d9", opportunity: "#15803d" };
const DAY_MS = 86_400_000;
// Contact details arrive only for roles allowed to read them (manager, admin, the owning rep):
// an analyst's answer has no `contact`, and the card is not drawn at all.
const CONTACT = {
  zh: { contact: "联系方式", name: "姓名", company: "公司", job_title: "职位", email: "邮箱", phone: "电话", city: "城市" },
  en: { contact: "Contact", name: "Name", company: "Company", job_title: "Job title", email: "Email", phone: "Phone", city: "City" },
};

function contactCard(i18n, contact) {
  const words = CONTACT[i18n.lang] ?? CONTACT.en;
  const link = { email: (v) => h("a", { href: `mailto:${v}` }, v), phone: (v) => h("a", { href: `tel:${v}` }, v) };
  const facts = ["name", "company", "job_title", "email", "phone", "city"].filter((key) => contact[key])
    .flatMap((key) => [h("dt", {}, words[key]), h("dd", { "data-contact": key }, (link[key] ?? ((v) => v))(contact[key]))]);
  return card(words.contact, null, h("dl", { class: "facts", "data-testid": "lead-contact" }, ...facts));
}

function profile(i18n, detail) {
  const p = detail.profile;
  const fact = (key, ...value) => [h("dt", {}, i18n.t(key)), h("dd", { "data-fact": key }, ...value)];
  const reached = Object.entries(p.reached).filter(([, at]) => at)
    .map(([tier, at]) => h("span", { class: "chip" }, `${i18n.tier(tier === "lost" ? "lost" : tier)} ${i18n.date(at)}`));
  const kinds = {};
  for (const identity of detail.identities) {
    const kind = identity.identity.split(":")[0];
    kinds[kind] = (kinds[kind] ?? 0) + 1;
  }
  return h("dl", { class: "facts", "data-testid": "lead-profile" },
    fact("tier", tierBadge(i18n, p.tier)),
    fact("score", h("b", { "data-testid": "lead-score" }, i18n.num(p.score))),
    fact("owner", p.owner ?? "—"),
    fact("first_touch", `${i18n.channel(p.first_channel)} · ${p.first_campaign ?? "—"}`),
    fact("first_seen", i18n.when(p.first_seen_at)),
    fact("last_activity", i18n.when(p.last_activity_at)),
    fact("reached", reached.length ? reached : "—"),
    fact("identities", Object.entries(kinds).map(([kind, n]) => h("span", { class: "chip" }, `${kind} ×${n}`))),
    detail.merged_lead_ids.length ? fact("merged", detail.merged_lead_ids.join(", ")) : null);
}

function scoreChart(i18n, history, detail) {
  const points = history.points.map((p) => ({
    x: Date.parse(p.at), y: p.score,
    title: `${i18n.when(p.at)} · ${i18n.num(p.score)} · ${i18n.tier(p.tier)}${p.event_type ? ` · ${i18n.event(p.event_type)}` : ""}`,
  }));
  if (!points.length) return h("p", { class: "muted" }, i18n.t("none"));
  const markers = detail.tier_history.map((change) => {
    const at = Date.parse(change.occurred_at);
    const near = points.reduce((a, b) => (Math.abs(b.x - at) < Math.abs(a.x - at) ? b : a));
    return { x: at, y: near.y, colour: TIER_COLOURS[change.to_tier] ?? "#dc2626",
      title: `${i18n.when(change.occurred_at)} ${i18n.tier(change.from_tier)} → ${i18n.tier(change.to_tier)} (${change.reasons.join("; ")})` };
  });
  const chart = lineChart({
    series: [{ name: i18n.t("score"), points, hideDots: points.length > 60 }], markers, testid: "score-chart", width: 1040, height: 280,
    xFormat: (x) => i18n.date(new Date(x).toISOString()), yFormat: i18n.num,
    yMax: Math.max(100, ...points.map((p) => p.y)) * 1.05, step: false,
  });
  return [chart, h("p", { class: "muted small" }, `${i18n.t("stored_score")}: ${i18n.num(history.stored_score)} · rules ${history.rule_version} · ${history.events_replayed} events`)];
}

function simpleTable(testid, columns, rows) {
  return sortableTable({ testid, columns, rows, sort: { key: columns[0].key, dir: "asc" } }).element;
}

function summary(event) {
  const p = event.properties ?? {};
  const parts = [p.url, p.title, p.asset_kind, p.form_id, p.video_id && `${p.video_id} ${p.percent ?? ""}%`,
    p.stage, p.platform, p.scene, p.menu_key, p.kind, p.lost_reason, p.dwell_seconds && `${p.dwell_seconds}s`];
  return parts.filter(Boolean).join(" · ");
}

export async function renderLead(ctx) {
  const { i18n, main, get, arg } = ctx;
  let detail;
  try {
    detail = await get(`/v1/leads/${encodeURIComponent(arg)}`, { timeline_limit: 200 });
  } catch (error) {
    if (error.status === 404) return put(main, card(i18n.t("not_found"), null, h("code", {}, arg)));
    throw error;
  }
  const history = await get(`/v1/dashboard/leads/${encodeURIComponent(detail.lead_id)}/score-history`);
  const risk = await leadRiskCard(ctx, detail.lead_id);
  const breakdown = detail.score.breakdown.map((line) => ({ label: line.rule, value: line.points }));
  const days = (a, b) => (b ? (Date.parse(b) - Date.parse(a)) / DAY_MS : null);
  const contact = detail.contact ?? null;
  const title = contact?.name ? `${contact.name}${contact.company ? ` · ${contact.company}` : ""}` : `${i18n.t("lead")} ${detail.lead_id}`;
  put(main,
    h("h1", { "data-testid": "lead-title" }, title),
    contact?.name ? h("p", { class: "muted small" }, detail.lead_id) : null,
    h("div", { class: "grid" },
      contact ? contactCard(i18n, contact) : null,
      card(i18n.t("lead"), null, profile(i18n, detail)),
      card(i18n.t("breakdown"), null, breakdown.length ? barList(breakdown, { format: i18n.num, testid: "breakdown" }) : i18n.t("none"))),
    risk,
    card(i18n.t("score_over_time"), i18n.t("score_hint"), scoreChart(i18n, history, detail)),
    card(i18n.t("tier_history"), null, simpleTable("tier-history", [
      { key: "occurred_at", label: i18n.t("when"), render: (r) => i18n.when(r.occurred_at) },
      { key: "kind", label: i18n.t("change"), render: (r) => [i18n.t(r.kind), " ", tierBadge(i18n, r.from_tier), " → ", tierBadge(i18n, r.to_tier)] },
      { key: "score", label: i18n.t("score"), num: true, render: (r) => i18n.num(r.score) },
      { key: "reasons", label: i18n.t("reasons"), render: (r) => r.reasons.map((x) => h("span", { class: "chip" }, x)) },
    ], detail.tier_history)),
    card(i18n.t("stage_history"), null, simpleTable("stage-history", [
      { key: "entered_at", label: i18n.t("entered_at"), render: (r) => i18n.when(r.entered_at) },
      { key: "stage", label: i18n.t("stage"), render: (r) => i18n.stage(r.stage) },
      { key: "exited_at", label: i18n.t("exited_at"), render: (r) => i18n.when(r.exited_at) },
      { key: "days", label: i18n.t("days"), num: true, value: (r) => days(r.entered_at, r.exited_at), render: (r) => i18n.num(days(r.entered_at, r.exited_at)) },
      { key: "outcome", label: i18n.t("outcome"), render: (r) => [r.outcome ? i18n.t(r.outcome) : i18n.t("in_stage"), r.lost_reason ? ` · ${i18n.reason(r.lost_reason)}` : ""] },
      { key: "amount", label: "CNY", num: true, render: (r) => i18n.num(r.amount) },
    ], detail.stage_history)),
    card(i18n.t("communications"), null, simpleTable("communications", [
      { key: "occurred_at", label: i18n.t("when"), render: (r) => i18n.when(r.occurred_at) },
      { key: "kind", label: i18n.t("kind") },
      { key: "owner", label: i18n.t("owner") },
      { key: "is_effective", label: i18n.t("effective"), render: (r) => i18n.t(r.is_effective ? "yes" : "no") },
    ], detail.communications)),
    card(i18n.t("timeline"), null, h("ol", { class: "timeline", "data-testid": "timeline" },
      detail.timeline.map((event) => h("li", { "data-type": event.type },
        h("span", { class: "muted" }, i18n.when(event.occurred_at)),
        h("span", {}, i18n.channel(event.channel)),
        h("span", {}, h("b", {}, i18n.event(event.type)), " ", h("span", { class: "muted small" }, summary(event))))))));
}
