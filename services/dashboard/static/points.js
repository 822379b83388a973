// Rep performance (月度积分制): a team's leaderboard for managers, a rep's own page with trend.
import { barList, lineChart } from "./charts.js";
import { card, h, leadLink, put } from "./dom.js";
import { monthNav } from "./months.js";

const MEASURES = ["won_amount", "conversion", "points", "on_time", "new_customers"];

function repLink(config, owner, month) {
  const href = `${config.base}/reps/${encodeURIComponent(owner)}?month=${month}`;
  return h("a", { href, "data-rep": owner }, owner);
}

function streakBadge(i18n, row, top) {
  if (!row.in_top_streak) return row.top_streak ? h("span", { class: "muted small" }, i18n.t("streak_n", { n: row.top_streak, top })) : null;
  return h("span", { class: "light green", "data-testid": "top-streak" }, i18n.t("streak_badge", { n: row.top_streak, top }));
}

function leaderboard(ctx, board) {
  const { config, i18n } = ctx;
  const money = (x) => i18n.num(x);
  return h("table", { "data-testid": "leaderboard" },
    h("thead", {}, h("tr", {}, ["rank", "owner", "kpi", "points", "won_amount", "conversion", "on_time", "new_customers", "streak"].map((key) =>
      h("th", { class: ["owner", "streak"].includes(key) ? null : "num" }, i18n.t(`p_${key}`))))),
    h("tbody", {}, board.reps.map((row) => h("tr", { "data-owner": row.owner, "data-rank": row.rank },
      h("td", { class: "num" }, `#${row.rank}`),
      h("td", {}, repLink(config, row.owner, board.month)),
      h("td", { class: "num", "data-key": "kpi" }, i18n.num(row.kpi)),
      h("td", { class: "num", "data-key": "points" }, i18n.num(row.points)),
      h("td", { class: "num" }, money(row.facts.won_amount)),
      h("td", { class: "num" }, i18n.pct(row.measures.conversion)),
      h("td", { class: "num" }, i18n.pct(row.measures.on_time)),
      h("td", { class: "num" }, i18n.num(row.facts.new_customers)),
      h("td", {}, streakBadge(i18n, row, board.top))))));
}

/** GET /dashboard/points: the team leaderboard (a rep token is sent to its own page). */
export async function renderPoints(ctx) {
  const { i18n, main, get } = ctx;
  const teams = await get("/v1/teams");
  if (teams.rep) return renderRep({ ...ctx, arg: teams.rep });
  const names = [...teams.teams.map((t) => t.team), teams.default_team];
  let team = new URLSearchParams(location.search).get("team") ?? names[0];
  const select = h("select", { "data-testid": "team-select", onchange: async () => {
    team = select.value;
    main.dataset.ready = "";
    await nav.show();
    main.dataset.ready = "points";
  } }, names.map((name) => h("option", { value: name, selected: name === team }, name)));
  const body = h("div");
  const nav = monthNav(ctx, "points", "points", async (month) => {
    const board = await get(`/v1/teams/${encodeURIComponent(team)}/leaderboard`, { month });
    put(body,
      h("p", {}, `${i18n.t("team_points")}: `, h("b", { "data-testid": "team-points" }, i18n.num(board.points)),
        h("span", { class: "muted small" }, " · ", Object.entries(board.points_by_rule)
          .map(([rule, value]) => `${i18n.t(`rule_${rule}`)} ${i18n.num(value)}`).join(" · "))),
      board.reps.length ? leaderboard(ctx, board) : h("p", { class: "muted" }, i18n.t("none")),
      h("p", { class: "muted small" }, i18n.t("kpi_hint"), " · ", `${i18n.t("rules_version")}: ${board.rules_version}`));
  });
  put(main, h("h1", {}, i18n.t("points_title")),
    h("section", { class: "card" }, h("div", { class: "filters" }, h("label", {}, i18n.t("team"), " ", select), nav.element), body));
  await nav.show();
}

function repCards(ctx, rep) {
  const { i18n } = ctx;
  const rules = Object.fromEntries(rep.breakdown.map((r) => [r.rule_id, r]));
  const bars = rep.breakdown.map((r) => ({ label: i18n.t(`rule_${r.rule_id}`) === `rule_${r.rule_id}` ? r.rule_id : i18n.t(`rule_${r.rule_id}`), value: r.points }));
  const trend = rep.trend.map((t, i) => ({ x: i, y: t.points, title: `${t.month}: ${i18n.num(t.points)}` }));
  return [
    h("section", { class: "card kpis" },
      h("div", { class: "kpi" }, h("div", { class: "muted small" }, i18n.t("p_points")), h("b", { "data-testid": "rep-points" }, i18n.num(rep.points))),
      h("div", { class: "kpi" }, h("div", { class: "muted small" }, i18n.t("p_rank")),
        h("b", { "data-testid": "rep-rank" }, rep.rank ? `#${rep.rank} / ${rep.team_size}` : "—")),
      h("div", { class: "kpi" }, h("div", { class: "muted small" }, i18n.t("p_kpi")), h("b", { "data-testid": "rep-kpi" }, rep.kpi ? i18n.num(rep.kpi.kpi) : "—")),
      h("div", { class: "kpi" }, h("div", { class: "muted small" }, i18n.t("team")), h("b", { "data-testid": "rep-team" }, rep.team)),
      streakBadge(i18n, rep, rep.top)),
    card(i18n.t("points_breakdown"), i18n.t("points_breakdown_hint"),
      rep.breakdown.length ? barList(bars, { format: i18n.num, testid: "points-breakdown" }) : h("p", { class: "muted" }, i18n.t("none")),
      h("table", { "data-testid": "breakdown-table" },
        h("thead", {}, h("tr", {}, h("th", {}, i18n.t("p_rule")), h("th", { class: "num" }, i18n.t("p_activities")),
          h("th", { class: "num" }, i18n.t("p_points")))),
        h("tbody", {}, Object.values(rules).map((r) =>
        h("tr", { "data-rule": r.rule_id }, h("td", {}, r.description || r.rule_id), h("td", { class: "num" }, i18n.num(r.activities)),
          h("td", { class: "num", "data-key": "points" }, i18n.num(r.points))))))),
    card(i18n.t("points_trend"), null, lineChart({
      series: [{ name: i18n.t("p_points"), points: trend }],
      xTicks: rep.trend.map((t, i) => ({ x: i, label: t.month.slice(2) })),
      yFormat: i18n.num, yMin: Math.min(0, ...trend.map((p) => p.y)), testid: "points-trend",
    }), h("p", { class: "muted small" }, rep.trend.map((t) => `${t.month}: ${t.rank ? `#${t.rank}` : "—"}`).join(" · "))),
    rep.kpi ? card(i18n.t("kpi_title"), i18n.t("kpi_hint"), h("table", { "data-testid": "kpi-table" }, h("tbody", {},
      MEASURES.map((name) => h("tr", { "data-measure": name }, h("td", {}, i18n.t(`p_${name}`)),
        h("td", { class: "num" }, i18n.pct(rep.kpi.measures[name]))))))) : null,
  ];
}

/** GET /dashboard/reps/{owner}: a rep's month — points by rule, rank, KPI, trend (个人绩效). */
function todoCard(ctx, todos) {
  const { config, i18n } = ctx;
  const rows = todos.items.map((todo) => h("tr", { "data-kind": todo.kind, "data-source": todo.source_id },
    h("td", {}, todo.due),
    h("td", {}, i18n.t(`todo_${todo.kind}`)),
    h("td", {}, todo.lead_id ? leadLink(config, todo.lead_id) : ""),
    h("td", {}, todo.detail)));
  const table = todos.items.length
    ? h("table", { "data-testid": "rep-todos" },
      h("thead", {}, h("tr", {}, ["t_due", "t_kind", "t_lead", "t_detail"].map((key) => h("th", {}, i18n.t(key))))),
      h("tbody", {}, rows))
    : h("p", { class: "muted", "data-testid": "rep-todos" }, i18n.t("todos_none"));
  return card(`${i18n.t("todos_title")} · ${todos.week}`, i18n.t("todos_hint"), table);
}

export async function renderRep(ctx) {
  const { i18n, main, get, arg } = ctx;
  const body = h("div");
  const todoBox = h("div");
  const nav = monthNav(ctx, "rep", "points", async (month) => {
    const rep = await get(`/v1/reps/${encodeURIComponent(arg)}/points`, { month, months: 6 });
    put(body, ...repCards(ctx, rep));
  });
  put(main, h("h1", { "data-testid": "rep-title" }, `${i18n.t("rep_title")} · ${arg}`), h("section", { class: "card" }, nav.element), todoBox, body);
  const todos = get(`/v1/reps/${encodeURIComponent(arg)}/todos`).then((answer) => put(todoBox, todoCard(ctx, answer)));
  await Promise.all([nav.show(), todos]);
}
