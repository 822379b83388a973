// The leads page: recent promotions (live) and stale leads, both sortable.
import { card, h, leadLink, tierBadge } from "./dom.js";
import { sortableTable } from "./table.js";

const DAY_MS = 86_400_000;

function promotionsTable(ctx) {
  const { i18n, config } = ctx;
  return sortableTable({
    testid: "promotions-table",
    sort: { key: "occurred_at", dir: "desc" },
    rowKey: (row) => row.transition_id,
    columns: [
      { key: "occurred_at", label: i18n.t("when"), render: (row) => i18n.when(row.occurred_at) },
      { key: "lead_id", label: i18n.t("lead"), render: (row) => leadLink(config, row.lead_id) },
      { key: "to_tier", label: i18n.t("change"), value: (row) => ["lead", "mql", "sql", "opportunity"].indexOf(row.to_tier),
        render: (row) => [tierBadge(i18n, row.from_tier), " → ", tierBadge(i18n, row.to_tier)] },
      { key: "score", label: i18n.t("score"), num: true, render: (row) => i18n.num(row.score) },
      { key: "first_channel", label: i18n.t("channel"), render: (row) => i18n.channel(row.first_channel) },
      { key: "owner", label: i18n.t("owner"), render: (row) => row.owner ?? "—" },
    ],
  });
}

function staleTable(ctx, rows) {
  const { i18n, config } = ctx;
  const now = Date.now();
  const idle = (row) => (row.last_activity_at ? (now - Date.parse(row.last_activity_at)) / DAY_MS : null);
  return sortableTable({
    testid: "stale-table",
    rows,
    sort: { key: "idle", dir: "desc" },
    rowKey: (row) => row.lead_id,
    columns: [
      { key: "lead_id", label: i18n.t("lead"), render: (row) => leadLink(config, row.lead_id) },
      { key: "tier", label: i18n.t("tier"), value: (row) => ["lead", "mql", "sql", "opportunity"].indexOf(row.tier),
        render: (row) => tierBadge(i18n, row.tier) },
      { key: "score", label: i18n.t("score"), num: true, render: (row) => i18n.num(row.score) },
      { key: "first_channel", label: i18n.t("channel"), render: (row) => i18n.channel(row.first_channel) },
      { key: "owner", label: i18n.t("owner"), render: (row) => row.owner ?? "—" },
      { key: "last_activity_at", label: i18n.t("last_activity"), render: (row) => i18n.when(row.last_activity_at) },
      { key: "idle", label: i18n.t("idle_days"), num: true, value: idle, render: (row) => i18n.num(idle(row)) },
    ],
  });
}

const STALE_LIMIT = 200;

async function staleCard(ctx) {
  const { i18n, get, config } = ctx;
  const box = h("div", { class: "scroll" });
  const note = h("p", { class: "muted small" });
  async function draw(tier) {
    const page = await get("/v1/leads", { stale: "true", stale_days: config.stale_days, tier, limit: STALE_LIMIT });
    box.replaceChildren(staleTable(ctx, page.items).element);
    note.textContent = page.next_cursor ? i18n.t("stale_more", { n: STALE_LIMIT }) : "";
  }
  const tiers = h("select", { "data-testid": "stale-tier", onchange: (event) => draw(event.target.value) },
    h("option", { value: "" }, i18n.t("all")),
    ["lead", "mql", "sql", "opportunity"].map((tier) => h("option", { value: tier }, i18n.tier(tier))));
  await draw("");
  return card(i18n.t("stale"), i18n.t("stale_hint", { days: i18n.num(config.stale_days) }),
    h("div", { class: "filters" }, h("label", {}, i18n.t("tier"), tiers)), note, box);
}

export async function renderLeads(ctx) {
  const { i18n, main, get, live, config } = ctx;
  const [promotions, stale] = await Promise.all([get("/v1/dashboard/promotions", { limit: 50 }), staleCard(ctx)]);
  const promoted = promotionsTable(ctx);
  promoted.setRows(promotions.items);
  // Search by email, phone, CRM id, WeChat openid or lead id (GET /v1/leads?q=): one match
  // opens it, several are listed.
  const open = h("input", { type: "search", placeholder: i18n.t("search_hint"), "data-testid": "open-lead" });
  const results = h("div", { "data-testid": "search-results" });
  const jump = h("form", { class: "filters", onsubmit: async (event) => {
    event.preventDefault();
    const q = open.value.trim();
    if (!q) return;
    const page = await get("/v1/leads", { q, limit: 50 });
    if (page.items.length === 1) {
      location.href = `${config.base}/leads/${encodeURIComponent(page.items[0].lead_id)}`;
      return;
    }
    results.replaceChildren(page.items.length
      ? staleTable(ctx, page.items).element
      : h("p", { class: "muted small" }, i18n.t("no_match", { q })));
  } }, open, h("button", { class: "primary", type: "submit" }, i18n.t("open_lead")));
  main.replaceChildren(
    h("h1", {}, i18n.t("leads_title")),
    h("section", { class: "card" }, jump, results),
    card(i18n.t("promotions"), i18n.t("promotions_hint"), h("div", { class: "scroll" }, promoted.element)),
    stale,
  );
  let shown = promotions.items;
  live.subscribe((items, fresh) => {
    if (!fresh.length) return;
    const known = new Set(items.map((item) => item.transition_id));
    shown = [...items, ...shown.filter((item) => !known.has(item.transition_id))].slice(0, 80);
    promoted.setRows(shown, fresh.map((item) => item.transition_id));
  });
}
