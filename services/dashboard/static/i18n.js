// Labels in Chinese and English, and number / date formatting for both.

const TEXT = {
  zh: {
    brand: "销售漏斗", nav_funnel: "漏斗", nav_health: "健康度自检", nav_leads: "线索",
    live: "实时", sign_out: "令牌", language: "EN",
    token_title: "输入只读令牌", token_hint: "令牌只保存在本浏览器 (localStorage),以 Bearer 方式发送给查询 API。开发环境令牌:",
    token_save: "保存", token_refused: "令牌被拒绝,请重新输入。",
    loading: "加载中…", failed: "加载失败", none: "暂无数据",
    funnel_title: "漏斗复盘", period: "时间段", channel: "首触渠道", campaign: "推广活动",
    costs: "渠道成本", costs_hint: "所选时间段内的投放花费 ÷ 首次出现在该时间段内的线索;— 为未录入花费或无可除",
    spend: "花费", cost_per_lead: "单线索成本", cost_per_mql: "单 MQL 成本", cost_per_sql: "单 SQL 成本",
    cost_per_won: "单成交成本", no_leads: "有花费,没有一条线索", costs_currency: "金额单位:{currency}",
    all_time: "全部时间", last_30: "近 30 天", last_90: "近 90 天", all: "全部",
    tier_funnel: "线索分级漏斗", tier_funnel_hint: "首次出现在所选时间段内的线索;箭头为逐级转化率",
    step_rate: "转化", mql_sql_by_channel: "MQL→SQL 转化率(按渠道、按月)",
    mql_sql_hint: "按线索首次出现的月份统计", stage_table: "销售阶段", stage: "销售阶段",
    entered: "进入", still: "仍在阶段", avg_days: "平均停留天数", conversion: "转化率",
    lost_reasons: "常见流失原因", article: "文章参考",
    below_bar: "转化率低于 {bar} 的阶段已标红", bottleneck: "瓶颈阶段:{stage},转化率 {rate}",
    health_title: "销售健康度自检表", indicator: "检查项", value: "当前值", normal: "正常范围",
    alarm: "异常信号", status: "状态", action: "应对措施", prev_month: "◀ 上月",
    next_month: "下月 ▶", as_of: "评估时间", green: "正常", amber: "关注", red: "告警",
    no_data: "无数据", leads_title: "线索", promotions: "最新晋级", promotions_hint: "实时更新,新晋级高亮显示",
    stale: "停滞线索", stale_hint: "超过 {days} 天无互动且未成交/未输单", stale_more: "仅显示分数最高的 {n} 条", lead: "线索",
    tier: "分级", score: "分数", owner: "负责人", last_activity: "最后活动", idle_days: "停滞天数",
    when: "时间", change: "变化", open_lead: "打开线索", lead_id: "线索 ID",
    search_hint: "邮箱、手机号、CRM 编号、微信 openid 或线索 ID", no_match: "没有找到与“{q}”匹配的线索",
    first_seen: "首次出现", first_touch: "首触", reached: "到达时间", identities: "身份标识",
    merged: "已合并线索", score_over_time: "分数变化", score_hint: "按当前规则重放该线索的事件时间线;圆点为分级变化",
    breakdown: "分数构成(按规则)", tier_history: "分级历史", stage_history: "销售阶段历史",
    communications: "沟通记录", timeline: "事件时间线", entered_at: "进入", exited_at: "离开",
    outcome: "结果", days: "天数", kind: "类型", effective: "有效沟通", yes: "是", no: "否",
    reasons: "原因", type: "事件", details: "详情", new_promotion: "新晋级", stored_score: "当前分数",
    advanced: "推进", won: "赢单", lost: "输单", regressed: "回退", in_stage: "进行中",
    promoted: "晋级", demoted: "降级", not_found: "没有这个线索",
    nav_points: "绩效积分", nav_risk: "流失风险", points_title: "团队积分榜", rep_title: "个人绩效", team: "团队",
    p_rank: "排名", p_owner: "销售", p_kpi: "KPI", p_points: "本月积分", p_won_amount: "赢单金额",
    team_points: "团队本月积分", p_rule: "积分规则", p_activities: "活动数", p_conversion: "转化率", p_on_time: "阶段更新及时率", p_new_customers: "新客户", p_streak: "连续前三",
    streak_badge: "连续 {n} 个月前 {top}", streak_n: "连续 {n} 个月前 {top}",
    points_breakdown: "积分构成(按规则)", points_breakdown_hint: "本月每条积分规则的得分与活动数",
    points_trend: "积分趋势(按月)", kpi_title: "KPI 构成", rules_version: "积分规则版本",
    kpi_hint: "KPI = 结果 60%(赢单金额、转化率)+ 过程 40%(积分、阶段更新及时率、新客户),在团队内归一",
    rule_effective_follow_up: "有效跟进", rule_meeting_minutes_uploaded: "完整会议纪要",
    rule_stage_advanced: "推进商机阶段", rule_negative_feedback: "客户负面评价",
    todos_title: "本周待办", todos_hint: "约定的下一步、久未互动的线索、未过阶段门禁的推进", todos_none: "本周没有待办",
    todo_next_step: "下一步", todo_stale_lead: "久未互动", todo_gate_violation: "阶段门禁", todo_at_risk: "流失风险",
    t_due: "截止", t_kind: "类型", t_lead: "线索", t_detail: "内容",
  },
  en: {
    brand: "Lead funnel", nav_funnel: "Funnel", nav_health: "Health check", nav_leads: "Leads",
    nav_points: "Points", nav_risk: "At risk", points_title: "Team leaderboard", rep_title: "My performance", team: "Team",
    p_rank: "Rank", p_owner: "Rep", p_kpi: "KPI", p_points: "Points this month", p_won_amount: "Won amount",
    team_points: "Team points this month", p_rule: "Rule", p_activities: "Activities", p_conversion: "Conversion", p_on_time: "Stage updates on time", p_new_customers: "New customers",
    p_streak: "Top streak", streak_badge: "top {top} for {n} months in a row", streak_n: "top {top}, {n} month(s) in a row",
    points_breakdown: "Points by rule", points_breakdown_hint: "this month's points and activities per rule",
    points_trend: "Points by month", kpi_title: "KPI measures", rules_version: "points file",
    kpi_hint: "KPI = results 60 % (won amount, conversion) + process 40 % (points, stage updates on time, new customers), scaled within the team",
    rule_effective_follow_up: "Effective follow-up", rule_meeting_minutes_uploaded: "Meeting minutes",
    rule_stage_advanced: "Stage moved on", rule_negative_feedback: "Negative feedback",
    todos_title: "This week's to-dos", todos_hint: "agreed next steps, quiet leads, moves past a stage gate", todos_none: "Nothing to do this week",
    todo_next_step: "Next step", todo_stale_lead: "Quiet lead", todo_gate_violation: "Stage gate", todo_at_risk: "At risk",
    t_due: "Due", t_kind: "Kind", t_lead: "Lead", t_detail: "Detail",
    live: "live", sign_out: "Token", language: "中文",
    token_title: "Enter a read token", token_hint: "The token stays in this browser (localStorage) and is sent to the query API as a Bearer token. Development token:",
    token_save: "Save", token_refused: "The token was refused; enter another.",
    loading: "Loading…", failed: "Could not load", none: "No data yet",
    funnel_title: "Funnel review", period: "Period", channel: "First-touch channel", campaign: "Campaign",
    costs: "Channel cost", costs_hint: "Spend in the period ÷ leads first seen in it; — where no spend was posted or nothing to divide by",
    spend: "Spend", cost_per_lead: "Per lead", cost_per_mql: "Per MQL", cost_per_sql: "Per SQL",
    cost_per_won: "Per won", no_leads: "Spend and not one lead", costs_currency: "Amounts in {currency}",
    all_time: "All time", last_30: "Last 30 days", last_90: "Last 90 days", all: "All",
    tier_funnel: "Lead tiers", tier_funnel_hint: "Leads first seen in the period; arrows show step conversion",
    step_rate: "step", mql_sql_by_channel: "MQL→SQL rate by channel and month",
    mql_sql_hint: "by the month a lead was first seen", stage_table: "Sales stages", stage: "Stage",
    entered: "Entered", still: "Still in stage", avg_days: "Avg days", conversion: "Conversion",
    lost_reasons: "Top lost reasons", article: "Article",
    below_bar: "Stages converting below {bar} are highlighted", bottleneck: "Bottleneck: {stage}, converting {rate}",
    health_title: "Monthly sales health check", indicator: "Indicator", value: "Value", normal: "Normal range",
    alarm: "Alarm", status: "Status", action: "Recommended action", prev_month: "◀ Previous",
    next_month: "Next ▶", as_of: "Judged at", green: "OK", amber: "Watch", red: "Alarm",
    no_data: "No data", leads_title: "Leads", promotions: "Recent promotions", promotions_hint: "Live; new promotions are highlighted",
    stale: "Stale leads", stale_hint: "No interaction for {days} days, neither won nor lost", stale_more: "Showing the {n} highest-scoring", lead: "Lead",
    tier: "Tier", score: "Score", owner: "Owner", last_activity: "Last activity", idle_days: "Idle days",
    when: "When", change: "Change", open_lead: "Open lead", lead_id: "Lead id",
    search_hint: "Email, phone, CRM id, WeChat openid or lead id", no_match: "No lead matches “{q}”",
    first_seen: "First seen", first_touch: "First touch", reached: "Reached", identities: "Identities",
    merged: "Merged leads", score_over_time: "Score over time", score_hint: "The lead's timeline replayed under the running rules; dots mark tier changes",
    breakdown: "Score by rule", tier_history: "Tier history", stage_history: "Sales stage history",
    communications: "Communications", timeline: "Event timeline", entered_at: "Entered", exited_at: "Left",
    outcome: "Outcome", days: "Days", kind: "Kind", effective: "Effective", yes: "yes", no: "no",
    reasons: "Reasons", type: "Event", details: "Details", new_promotion: "New promotion", stored_score: "Score now",
    advanced: "advanced", won: "won", lost: "lost", regressed: "regressed", in_stage: "in progress",
    promoted: "promoted", demoted: "demoted", not_found: "No such lead",
  },
};

const TIERS = {
  zh: { lead: "线索", mql: "MQL", sql: "SQL", opportunity: "商机", won: "赢单", lost: "输单" },
  en: { lead: "Lead", mql: "MQL", sql: "SQL", opportunity: "Opportunity", won: "Won", lost: "Lost" },
};
const CHANNELS = {
  zh: { website: "官网", wechat: "公众号", ads: "广告投放", email: "邮件", crm: "CRM", api: "API" },
  en: { website: "Website", wechat: "WeChat", ads: "Ads", email: "Email", crm: "CRM", api: "API" },
};
const REASONS = {
  zh: {
    incomplete_information: "信息收集不全", slow_customer_response: "客户响应慢",
    technical_evaluation_delayed: "技术评估延迟", price_objection_mishandled: "价格异议处理不当",
    legal_review_stalled: "法务审批受阻", no_budget: "预算不足", chose_competitor: "选择竞品",
    project_shelved: "项目搁置", unspecified: "未注明",
  },
  en: {
    incomplete_information: "Incomplete information", slow_customer_response: "Slow customer response",
    technical_evaluation_delayed: "Technical evaluation delayed",
    price_objection_mishandled: "Price objections mishandled", legal_review_stalled: "Legal review stalled",
    no_budget: "No budget", chose_competitor: "Chose a competitor", project_shelved: "Project shelved",
    unspecified: "Unspecified",
  },
};
const EVENTS = {
  zh: {
    page_viewed: "浏览页面", form_submitted: "提交表单", video_watched: "观看视频",
    asset_downloaded: "下载资料", email_opened: "打开邮件", email_clicked: "点击邮件",
    demo_requested: "预约演示", wechat_subscribed: "关注公众号", wechat_unsubscribed: "取消关注",
    wechat_menu_clicked: "点击菜单", wechat_qr_scanned: "扫码", wechat_message_sent: "发送消息",
    ad_clicked: "点击广告", ad_lead_submitted: "广告留资", sales_stage_changed: "销售阶段变更",
    communication_logged: "沟通记录", identify: "身份识别", custom: "自定义",
  },
  en: {},
};

/** Everything a page needs to say things in the chosen language. */
export function makeI18n(config, lang) {
  const stages = Object.fromEntries(config.stages.map((s) => [s.key, s]));
  const locale = lang === "zh" ? "zh-CN" : "en-GB";
  const percent = new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 1 });
  const number = new Intl.NumberFormat(locale, { maximumFractionDigits: 1 });
  const moment = new Intl.DateTimeFormat(locale, {
    year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
    hour12: false, timeZone: "UTC",
  });
  const day = new Intl.DateTimeFormat(locale, {
    year: "numeric", month: "2-digit", day: "2-digit", timeZone: "UTC",
  });
  return {
    lang,
    t(key, vars = {}) {
      let text = TEXT[lang][key] ?? TEXT.en[key] ?? key;
      for (const [name, value] of Object.entries(vars)) text = text.replace(`{${name}}`, value);
      return text;
    },
    stage: (key) => (stages[key] ? stages[key][lang] : key),
    tier: (key) => TIERS[lang][key] ?? key,
    channel: (key) => (key ? CHANNELS[lang][key] ?? key : "—"),
    reason: (code) => REASONS[lang][code] ?? code,
    event: (type) => EVENTS[lang][type] ?? type.replaceAll("_", " "),
    pct: (x) => (x === null || x === undefined ? "—" : percent.format(x)),
    num: (x) => (x === null || x === undefined ? "—" : number.format(x)),
    days: (x) => (x === null || x === undefined ? "—" : `${number.format(x)}${lang === "zh" ? " 天" : " d"}`),
    when: (iso) => (iso ? moment.format(new Date(iso)) : "—"),
    date: (iso) => (iso ? day.format(new Date(iso)) : "—"),
    range: (text) => (lang === "zh" ? text.replace(" days", " 天") : text),
  };
}
