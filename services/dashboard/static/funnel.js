// The funnel page: tier funnel, MQL→SQL by channel and month, the sales-stage table.
import { COLOURS, funnelChart, lineChart } from "./charts.js";
import { card, h, put } from "./dom.js";
import { sortableTable } from "./table.js";

const STEPS = ["lead", "mql", "sql", "opportunity", "won"];
const TREND_MONTHS = 6;
const LIVE_REFRESH_MS = 10_000;

/** The last `n` calendar months (UTC) as YYYY-MM, oldest first. */
export function recentMonths(n, now = new Date()) {
  const months = [];
  for (let back = n - 1; back >= 0; back -= 1) {
    const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - back, 1));
    months.push(d.toISOString().slice(0, 7));
  }
  return months;
}

function nextMonth(month) {
  const [year, m] = month.split("-").map(Number);
  return new Date(Date.UTC(year, m, 1)).toISOString().slice(0, 7);
}

/** The API's from / to for a period choice: all, 30d, 90d or a month. */
export function periodRange(period, now = new Date()) {
  if (/^\d{4}-\d{2}$/.test(period)) return { from: `${period}-01`, to: `${nextMonth(period)}-01` };
  const days = { "30d": 30, "90d": 90 }[period];
  if (!days) return {};
  return { from: new Date(now.getTime() - days * 86_400_000).toISOString().slice(0, 10) };
}

function select(testid, choices, value, onchange) {
  const node = h(
    "select",
    { "data-testid": testid, onchange: (event) => onchange(event.target.value) },
    choices.map(([key, text]) => h("option", { value: key, selected: key === value }, text)),
  );
  return node;
}

function tierSteps(i18n, row) {
  return STEPS.map((key, index) => ({
    key,
    label: i18n.tier(key),
    count: row ? row[key] : 0,
    rate: index && row ? row[`${STEPS[index - 1]}_to_${key}`] : null,
  }));
}

function stageTable(ctx, rows) {
  const { i18n, config } = ctx;
  const order = (key) => {
    const index = config.open_stages.indexOf(key);
    return index < 0 ? 99 : index;
  };
  const bar = config.conversion_bar;
  const isLow = (row) => row.conversion_rate !== null && row.conversion_rate < bar;
  const article = (row) => {
    const ref = config.article_stages[row.stage];
    return ref ? `${i18n.days(ref.avg_days)} · ${i18n.pct(ref.conversion)}` : "—";
  };
  return sortableTable({
    testid: "stage-table",
    rows,
    sort: { key: "stage", dir: "asc" },
    rowKey: (row) => row.stage,
    rowClass: (row) => (isLow(row) ? "below-bar" : ""),
    columns: [
      { key: "stage", label: i18n.t("stage"), value: (row) => order(row.stage),
        render: (row) => [i18n.stage(row.stage), i18n.lang === "en" ? h("span", { class: "muted small" }, ` ${row.label_zh}`) : null] },
      { key: "entered", label: i18n.t("entered"), num: true },
      { key: "still_in_stage", label: i18n.t("still"), num: true },
      { key: "avg_days", label: i18n.t("avg_days"), num: true, render: (row) => i18n.days(row.avg_days) },
      { key: "conversion_rate", label: i18n.t("conversion"), num: true,
        render: (row) => h("span", { class: isLow(row) ? "flag" : null, title: isLow(row) ? i18n.t("below_bar", { bar: i18n.pct(bar) }) : null },
          isLow(row) ? "⚠ " : "", i18n.pct(row.conversion_rate)) },
      { key: "lost", label: i18n.t("lost_reasons"), value: (row) => row.lost,
        render: (row) => row.top_lost_reasons.map((r) => h("span", { class: "chip" }, `${i18n.reason(r.reason)} ×${r.count}`)) },
      { key: "article", label: i18n.t("article"), value: (row) => config.article_stages[row.stage]?.conversion ?? null, render: article },
    ],
  });
}

/** Spend per channel (per campaign once a channel is chosen) and what a lead, MQL, SQL and won
 * lead cost; a row with spend and not one lead is flagged: the channel to shut. */
function costTable(i18n, rows) {
  const wasted = (row) => row.spend > 0 && row.lead === 0;
  const cost = (key) => ({ key, label: i18n.t(key), num: true, render: (row) => i18n.num(row[key]) });
  return sortableTable({
    testid: "cost-table",
    rows,
    sort: { key: "cost_per_sql", dir: "desc" },
    rowKey: (row) => (row.campaign === null ? row.channel : `${row.channel}/${row.campaign}`),
    rowClass: (row) => (wasted(row) ? "below-bar" : ""),
    columns: [
      { key: "channel", label: i18n.t("channel"), value: (row) => `${row.channel}/${row.campaign ?? ""}`,
        render: (row) => [i18n.channel(row.channel), row.campaign === null ? null : h("span", { class: "muted small" }, ` ${row.campaign}`)] },
      { key: "spend", label: i18n.t("spend"), num: true,
        render: (row) => h("span", { class: wasted(row) ? "flag" : null, title: wasted(row) ? i18n.t("no_leads") : null },
          wasted(row) ? "⚠ " : "", i18n.num(row.spend)) },
      { key: "lead", label: i18n.tier("lead"), num: true },
      { key: "sql", label: i18n.tier("sql"), num: true },
      { key: "won", label: i18n.tier("won"), num: true },
      cost("cost_per_lead"), cost("cost_per_mql"), cost("cost_per_sql"), cost("cost_per_won"),
    ],
  });
}

function bottleneck(i18n, rows) {
  const judged = rows.filter((row) => row.exited >= 3 && row.conversion_rate !== null);
  if (!judged.length) return null;
  const worst = judged.reduce((a, b) => (b.conversion_rate < a.conversion_rate ? b : a));
  return h("p", { class: "callout", "data-testid": "bottleneck" },
    i18n.t("bottleneck", { stage: i18n.stage(worst.stage), rate: i18n.pct(worst.conversion_rate) }));
}

async function trendChart(ctx, channels, firstSeen) {
  const { i18n, get } = ctx;
  const earliest = firstSeen ? firstSeen.slice(0, 7) : "";
  const recent = recentMonths(TREND_MONTHS);
  const months = recent.filter((month) => month >= earliest).length > 1 ? recent.filter((month) => month >= earliest) : recent;
  const from = `${months[0]}-01`;
  const answers = await Promise.all(
    ["", ...channels].map((channel) => get("/v1/funnel/tiers", { from, group_by: "month", channel })),
  );
  const series = answers.map((answer, index) => {
    const byMonth = Object.fromEntries(answer.rows.map((row) => [row.group, row]));
    const name = index ? i18n.channel(channels[index - 1]) : i18n.t("all");
    return {
      name,
      colour: index ? COLOURS[index % COLOURS.length] : "#111827",
      points: months.map((month, x) => {
        const row = byMonth[month];
        const y = row ? row.mql_to_sql : null;
        return { x, y, title: `${name} ${month}: ${i18n.pct(y)} (${row ? `${row.sql}/${row.mql}` : "0/0"})` };
      }),
    };
  });
  const peak = Math.max(0.5, ...series.flatMap((line) => line.points.map((p) => p.y ?? 0)));
  const chart = lineChart({
    series, testid: "trend-chart", yFormat: i18n.pct, yMax: Math.ceil(peak * 10) / 10,
    xTicks: months.map((month, x) => ({ x, label: month })),
  });
  const legend = h("div", { class: "legend" }, series.map((line, index) =>
    h("span", {}, h("i", { class: index ? `c${index % COLOURS.length}` : "c-all" }), line.name)));
  return [chart, legend];
}

function kpis(i18n, row, cycle) {
  const deals = cycle.rows.reduce((sum, r) => sum + r.deals, 0);
  const days = deals ? cycle.rows.reduce((sum, r) => sum + (r.avg_days ?? 0) * r.deals, 0) / deals : null;
  const tile = (testid, title, value) => h("div", { class: "kpi", "data-testid": testid }, h("span", { class: "muted small" }, title), h("b", {}, value));
  return h("div", { class: "kpis" },
    tile("kpi-leads", i18n.tier("lead"), i18n.num(row ? row.lead : 0)),
    tile("kpi-mql-sql", "MQL→SQL", i18n.pct(row ? row.mql_to_sql : null)),
    tile("kpi-won", i18n.tier("won"), i18n.num(row ? row.won : 0)),
    tile("kpi-cycle", i18n.lang === "zh" ? "平均销售周期" : "Avg sales cycle", i18n.days(days)));
}

export async function renderFunnel(ctx) {
  const { i18n, main, get, live } = ctx;
  const query = new URLSearchParams(location.search);
  const state = { period: query.get("period") ?? "all", channel: query.get("channel") ?? "", campaign: query.get("campaign") ?? "" };
  const tableQuery = () => ({ ...periodRange(state.period), channel: state.channel, campaign: state.campaign });
  const fetchTables = () => {
    const q = tableQuery();
    const costQuery = { ...periodRange(state.period), group_by: state.channel ? "campaign" : "channel" };
    return Promise.all([
      get("/v1/funnel/tiers", q), get("/v1/funnel/stages", q), get("/v1/funnel/cycle", q),
      get("/v1/funnel/costs", costQuery),
    ]);
  };
  const firstTables = fetchTables(); // at once with the filter options: neither needs the other
  const options = await get("/v1/dashboard/filters");
  const campaignsOf = (channel) => [...new Set(options.segments
    .filter((seg) => !channel || seg.first_channel === channel).map((seg) => seg.first_campaign).filter(Boolean))].sort();
  const periods = [["all", i18n.t("all_time")], ["30d", i18n.t("last_30")], ["90d", i18n.t("last_90")],
    ...recentMonths(TREND_MONTHS).reverse().map((m) => [m, m])];
  const kpiBox = h("div");
  const funnelBox = h("div");
  const stageBox = h("div");
  const trendBox = h("div");
  const costBox = h("div");
  const campaignBox = h("label", {});
  const filters = h("div", { class: "filters" },
    h("label", {}, i18n.t("period"), select("filter-period", periods, state.period, (v) => change({ period: v }))),
    h("label", {}, i18n.t("channel"), select("filter-channel", [["", i18n.t("all")], ...options.channels.map((c) => [c, i18n.channel(c)])],
      state.channel, (v) => change({ channel: v, campaign: campaignsOf(v).includes(state.campaign) ? state.campaign : "" }))),
    campaignBox);

  function drawCampaigns() {
    put(campaignBox, i18n.t("campaign"), select("filter-campaign", [["", i18n.t("all")], ...campaignsOf(state.channel).map((c) => [c, c])],
      state.campaign, (v) => change({ campaign: v })));
  }

  async function refresh(fetched) {
    const q = tableQuery();
    const [tiers, stages, cycle, costs] = await (fetched ?? fetchTables());
    const row = tiers.rows.find((r) => r.group === "all") ?? null;
    put(kpiBox, kpis(i18n, row, cycle));
    put(funnelBox, funnelChart(tierSteps(i18n, row), { format: i18n.num, percent: i18n.pct }));
    funnelBox.dataset.query = JSON.stringify(q);
    const rows = stages.rows.filter((r) => r.group === "all");
    put(stageBox, bottleneck(i18n, rows), stageTable(ctx, rows).element,
      h("p", { class: "muted small" }, i18n.t("below_bar", { bar: i18n.pct(ctx.config.conversion_bar) })));
    const costRows = costs.rows.filter((r) => !state.channel || r.channel === state.channel)
      .filter((r) => !state.campaign || r.campaign === state.campaign);
    put(costBox, costTable(i18n, costRows).element,
      h("p", { class: "muted small" }, i18n.t("costs_currency", { currency: costs.currency })));
    const url = new URL(location.href);
    for (const [name, value] of Object.entries(state)) {
      if (value && !(name === "period" && value === "all")) url.searchParams.set(name, value);
      else url.searchParams.delete(name);
    }
    history.replaceState(null, "", url);
  }

  async function change(update) {
    Object.assign(state, update);
    drawCampaigns();
    main.dataset.ready = "";
    await refresh();
    main.dataset.ready = "funnel";
  }

  drawCampaigns();
  put(main,
    h("h1", {}, i18n.t("funnel_title")),
    h("section", { class: "card" }, filters),
    kpiBox,
    h("div", { class: "grid" },
      card(i18n.t("tier_funnel"), i18n.t("tier_funnel_hint"), funnelBox),
      card(i18n.t("mql_sql_by_channel"), i18n.t("mql_sql_hint"), trendBox)),
    card(i18n.t("stage_table"), null, stageBox),
    card(i18n.t("costs"), i18n.t("costs_hint"), costBox));
  const drawTrend = async () => put(trendBox, ...(await trendChart(ctx, options.channels, options.first_seen)));
  await Promise.all([refresh(firstTables), drawTrend()]);

  let last = Date.now();
  live.subscribe((items, fresh) => {
    if (!fresh.length || Date.now() - last < LIVE_REFRESH_MS) return;
    last = Date.now();
    refresh().then(drawTrend).catch(() => {});
  });
}
