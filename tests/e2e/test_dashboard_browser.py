"""The dashboard in headless chromium, against the running system fed with the demo data set:
the numbers shown are the API's, filters redraw the chart, new promotions appear live."""

from __future__ import annotations

import asyncio
import math
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from demo.dataset import Dataset, build_dataset
from demo.feed import feed, wait_ready
from demo.plan import DemoConfig
from demo.spend import post_spend, spend_rows
from services.access import Role, add_token
from services.settings import DEV_READ_TOKEN, DEV_WRITE_KEY
from tests.e2e.browser import start_chromium
from tests.e2e.conftest import ROOT, RunningSystem

ARTIFACTS = ROOT / "test-artifacts"
LEADS = 300
STEPS = ("lead", "mql", "sql", "opportunity", "won")
BAR = 0.5  # LEADFUNNEL_DASHBOARD_CONVERSION_BAR's default


@dataclass(frozen=True)
class FedSystem:
    """The running system after the demo data set went through it, and a reader of its API."""

    system: RunningSystem
    data: Dataset
    api: httpx.Client

    @property
    def dashboard(self) -> str:
        return f"{self.system.query_url}/dashboard"

    def get(self, path: str, **params: Any) -> Any:
        answer = self.api.get(path, params=params)
        answer.raise_for_status()
        return answer.json()


def expected_funnel(data: Dataset) -> dict[str, int]:
    """The tier counts the data set was built to reach."""
    return {
        "lead": len(data.journeys),
        "mql": sum(j.mql_at is not None for j in data.journeys),
        "sql": sum(j.sql_at is not None for j in data.journeys),
        "opportunity": sum(len(plan.stays) > 1 for plan in data.opportunities),
        "won": sum(any(s.outcome == "won" for s in plan.stays) for plan in data.opportunities),
    }


def is_reached(got: dict[str, int], want: dict[str, int]) -> bool:
    """Every tier count exactly what the data set was built to reach."""
    return bool(got) and all(got[k] == want[k] for k in want)


def projected(api: httpx.Client) -> dict[str, int]:
    """The all-time tier counts and first-contact stays the query API holds now."""
    rows = api.get("/v1/funnel/tiers").json()["rows"]
    counts = {step: rows[0][step] if rows else 0 for step in STEPS}
    stages = api.get("/v1/funnel/stages").json()["rows"]
    counts["first_contact"] = next(
        (r["entered"] for r in stages if r["stage"] == "first_contact"), 0
    )
    return counts


def wait_until_projected(
    api: httpx.Client, data: Dataset, before: dict[str, int], timeout: float = 90
) -> None:
    """Until the query API holds the whole data set on top of what it held `before`: every
    lead, every opportunity's first stage, tier counts close to the intended ones and holding
    still for a few seconds."""
    intended = expected_funnel(data)
    want = {step: before[step] + intended[step] for step in STEPS}
    got, last, still = {}, {}, 0
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and still < 4:
        now = projected(api)
        got = {step: now[step] for step in STEPS}
        complete = got["lead"] == want["lead"] and now["first_contact"] == before[
            "first_contact"
        ] + len(data.opportunities)
        still = still + 1 if complete and is_reached(got, want) and got == last else 0
        last = got
        time.sleep(1)
    if still < 4:
        pytest.fail(f"the data set was not projected in {timeout}s: {got} vs {want}", pytrace=False)


@pytest.fixture(scope="module")
def fed(running_system: RunningSystem) -> Iterator[FedSystem]:
    """The demo data set posted through the public APIs and projected."""
    data = build_dataset(DemoConfig(leads=LEADS, seed=2026), datetime.now(UTC))
    headers = {"Authorization": f"Bearer {DEV_READ_TOKEN}"}
    with (
        httpx.Client(auth=(DEV_WRITE_KEY, ""), timeout=30) as ingest,
        httpx.Client(base_url=running_system.query_url, headers=headers, timeout=10) as api,
    ):
        wait_ready(ingest, running_system.ingest_url, 30)
        before = projected(api)
        tally = feed(ingest, running_system.ingest_url, data.posts)
        assert not tally.rejected
        wait_until_projected(api, data, before)
        yield FedSystem(running_system, data, api)


@pytest.fixture(scope="module")
def browser(fed: FedSystem, tmp_path_factory: pytest.TempPathFactory) -> Iterator[webdriver.Chrome]:
    """Chromium that entered the read token once (the dashboard keeps it in localStorage)."""
    if httpx.get(f"{fed.dashboard}/funnel").status_code != 200:
        pytest.fail(
            "the query service does not serve /dashboard/: services/query/app.py must include"
            " services.dashboard.dashboard_router(settings)",
            pytrace=False,
        )
    session = start_chromium(tmp_path_factory.mktemp("chromium"), window=(1280, 1250))
    try:
        session.get(f"{fed.dashboard}/funnel")
        field = WebDriverWait(session, 15).until(
            lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=token-input]")
        )
        field.send_keys(DEV_READ_TOKEN)
        session.find_element(By.CSS_SELECTOR, "[data-testid=token-save]").click()
        ready(session, "funnel")
        yield session
    finally:
        session.quit()


def ready(browser: webdriver.Chrome, page: str, timeout: float = 20) -> None:
    """Wait until the page has drawn its data."""
    WebDriverWait(browser, timeout).until(
        lambda d: d.find_element(By.ID, "app").get_attribute("data-ready") == page
    )


def open_page(browser: webdriver.Chrome, url: str, page: str) -> None:
    browser.get(url)
    ready(browser, page)
    assert_no_console_errors(browser)


def assert_no_console_errors(browser: webdriver.Chrome) -> None:
    """The page's scripts logged no error (the log is drained on each read)."""
    errors = [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors


def shot(browser: webdriver.Chrome, name: str) -> Path:
    """Save a screenshot under test-artifacts/ (kept out of git)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"dashboard-{name}.png"
    browser.execute_script("window.scrollTo(0, 0)")
    browser.save_screenshot(str(path))
    return path


def number(text: str) -> float:
    """The number in a shown value: '1,200' → 1200, '89.3%' → 89.3, '2.1 天' → 2.1."""
    found = re.search(r"-?[\d,]+(\.\d+)?", text)
    assert found, text
    return float(found.group(0).replace(",", ""))


def shown_funnel(browser: webdriver.Chrome) -> dict[str, int]:
    return browser.execute_script(  # type: ignore[no-any-return]
        "return Object.fromEntries([...document.querySelectorAll("
        "'[data-testid=tier-funnel] [data-step]')].map(g => [g.dataset.step, +g.dataset.count]))"
    )


def table_rows(browser: webdriver.Chrome, testid: str) -> list[dict[str, Any]]:
    return browser.execute_script(  # type: ignore[no-any-return]
        "return [...document.querySelectorAll(`[data-testid=${arguments[0]}] tbody tr[data-row]`)]"
        ".map(tr => ({row: tr.dataset.row, cls: tr.className, cells: Object.fromEntries("
        "[...tr.cells].map(td => [td.dataset.key, td.textContent.trim()]))}))",
        testid,
    )


def test_funnel_page_shows_the_apis_tier_counts_and_stage_table(
    fed: FedSystem, browser: webdriver.Chrome
) -> None:
    open_page(browser, f"{fed.dashboard}/funnel", "funnel")
    tiers = fed.get("/v1/funnel/tiers")["rows"][0]
    stages = {row["stage"]: row for row in fed.get("/v1/funnel/stages")["rows"]}

    assert shown_funnel(browser) == {step: tiers[step] for step in STEPS}
    for step in STEPS:
        text = browser.find_element(By.CSS_SELECTOR, f"[data-testid=count-{step}]").text
        assert number(text) == tiers[step]
    rows = table_rows(browser, "stage-table")
    assert [row["row"] for row in rows] == list(stages)
    for row in rows:
        api = stages[row["row"]]
        assert number(row["cells"]["entered"]) == api["entered"]
        assert number(row["cells"]["avg_days"]) == pytest.approx(api["avg_days"], abs=0.051)
        assert number(row["cells"]["conversion_rate"]) == pytest.approx(
            100 * api["conversion_rate"], abs=0.051
        )
        assert ("below-bar" in row["cls"]) == (api["conversion_rate"] < BAR)
    assert "报价谈判" in rows[3]["cells"]["stage"] and "below-bar" in rows[3]["cls"]
    shot(browser, "funnel")


def test_choosing_a_channel_and_a_month_redraws_the_funnel_with_their_numbers(
    fed: FedSystem, browser: webdriver.Chrome
) -> None:
    open_page(browser, f"{fed.dashboard}/funnel", "funnel")
    before = shown_funnel(browser)

    Select(browser.find_element(By.CSS_SELECTOR, "[data-testid=filter-channel]")).select_by_value(
        "wechat"
    )
    WebDriverWait(browser, 15).until(lambda d: shown_funnel(d) != before)
    ready(browser, "funnel")
    wechat = fed.get("/v1/funnel/tiers", channel="wechat")["rows"][0]
    assert shown_funnel(browser) == {step: wechat[step] for step in STEPS}
    assert "channel=wechat" in browser.current_url
    shot(browser, "funnel-wechat")

    month = (datetime.now(UTC).replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    following = (datetime.strptime(month, "%Y-%m") + timedelta(days=32)).strftime("%Y-%m")
    Select(browser.find_element(By.CSS_SELECTOR, "[data-testid=filter-period]")).select_by_value(
        month
    )
    WebDriverWait(browser, 15).until(lambda d: f"period={month}" in d.current_url)
    ready(browser, "funnel")
    answer = fed.get(
        "/v1/funnel/tiers", channel="wechat", **{"from": f"{month}-01", "to": f"{following}-01"}
    )
    expected = answer["rows"][0] if answer["rows"] else dict.fromkeys(STEPS, 0)
    assert shown_funnel(browser) == {step: expected[step] for step in STEPS}


def _cost_key(row: dict[str, Any]) -> str:
    return row["channel"] if row["campaign"] is None else f"{row['channel']}/{row['campaign']}"


def test_funnel_page_shows_the_cost_per_channel_the_api_computes(
    fed: FedSystem, browser: webdriver.Chrome
) -> None:
    spend = spend_rows(DemoConfig(leads=LEADS, seed=2026), fed.data.now)
    with httpx.Client(auth=(DEV_WRITE_KEY, ""), timeout=30) as ingest:
        assert not post_spend(ingest, fed.system.ingest_url, spend).rejected
    posted = math.fsum(row["amount"] for row in spend)  # all time: every month counts whole
    deadline = time.monotonic() + 60
    while abs((fed.get("/v1/funnel/costs")["total"]["spend"] or 0) - posted) > 0.01:
        assert time.monotonic() < deadline, "the spend was not projected within 60 s"
        time.sleep(0.5)

    open_page(browser, f"{fed.dashboard}/funnel", "funnel")
    api = {_cost_key(row): row for row in fed.get("/v1/funnel/costs")["rows"]}
    shown = {row["row"]: row for row in table_rows(browser, "cost-table")}

    assert set(shown) == set(api) >= {"ads", "email", "website", "wechat"}
    for key, row in shown.items():
        expected = api[key]
        assert number(row["cells"]["lead"]) == expected["lead"]
        for column in ("spend", "cost_per_lead", "cost_per_sql"):
            if expected[column] is None:
                assert row["cells"][column] == "—"
            else:
                assert number(row["cells"][column]) == pytest.approx(expected[column], abs=0.051)
    # the demo's ads buy volume of lower quality: a lead from them costs several times WeChat's
    assert api["ads"]["cost_per_lead"] > 2 * api["wechat"]["cost_per_lead"]
    ARTIFACTS.mkdir(exist_ok=True)
    browser.execute_script("document.querySelector('[data-testid=cost-table]').scrollIntoView()")
    browser.save_screenshot(str(ARTIFACTS / "dashboard-funnel-costs.png"))


def test_health_page_lights_are_the_health_checks_month_by_month(
    fed: FedSystem, browser: webdriver.Chrome
) -> None:
    month = datetime.now(UTC).strftime("%Y-%m")
    previous = (datetime.now(UTC).replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    open_page(browser, f"{fed.dashboard}/health", "health")

    for shown_month in (month, previous):
        if shown_month != month:
            browser.find_element(By.CSS_SELECTOR, "[data-testid=health-prev]").click()
            WebDriverWait(browser, 15).until(
                lambda d, m=shown_month: (
                    d.find_element(By.CSS_SELECTOR, "[data-testid=health-month]").text == m
                )
            )
            ready(browser, "health")
        report = fed.get("/v1/health-check", month=shown_month)
        lights = browser.execute_script(
            "return Object.fromEntries([...document.querySelectorAll("
            "'[data-testid=health-table] tr[data-indicator]')].map(tr =>"
            " [tr.dataset.indicator, tr.dataset.status]))"
        )
        assert lights == {i["name"]: i["status"] for i in report["indicators"]}
        assert {i["status"] for i in report["indicators"]} != {"no_data"}
    shot(browser, "health")


def test_leads_page_sorts_stale_leads_and_shows_new_promotions_live(
    fed: FedSystem, browser: webdriver.Chrome
) -> None:
    open_page(browser, f"{fed.dashboard}/leads", "leads")
    stale = fed.get("/v1/leads", stale="true", stale_days=7, limit=200)["items"]
    promotions = fed.get("/v1/dashboard/promotions", limit=50)["items"]

    assert {row["row"] for row in table_rows(browser, "stale-table")} == {
        lead["lead_id"] for lead in stale
    }
    assert {row["row"] for row in table_rows(browser, "promotions-table")} == {
        p["transition_id"] for p in promotions
    }
    score_header = "[data-testid=stale-table] th[data-key=score] button"
    browser.find_element(By.CSS_SELECTOR, score_header).click()
    ascending = [number(r["cells"]["score"]) for r in table_rows(browser, "stale-table")]
    browser.find_element(By.CSS_SELECTOR, score_header).click()
    descending = [number(r["cells"]["score"]) for r in table_rows(browser, "stale-table")]
    assert ascending == sorted(ascending) and descending == sorted(ascending, reverse=True)

    post_a_new_mql(fed.system.ingest_url)
    WebDriverWait(browser, 45).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "[data-testid=promotions-table] tr.new")
    )
    assert browser.find_elements(By.CSS_SELECTOR, "[data-testid=toast]")
    assert number(browser.find_element(By.CSS_SELECTOR, "[data-testid=live-count]").text) >= 1
    shot(browser, "leads")


def post_a_new_mql(ingest_url: str) -> str:
    """A visitor who, right now, submits a form and watches two product videos (MQL)."""
    visitor = f"anon-e2e-{uuid.uuid4().hex[:8]}"
    now = datetime.now(UTC)
    events = [
        ("form_submitted", {"form_id": "contact-sales"}, {"email": f"{visitor}@example.cn"}),
        ("video_watched", {"video_id": "v1", "percent": 80}, {}),
        ("video_watched", {"video_id": "v2", "percent": 90}, {}),
    ]
    body = {
        "events": [
            {
                "type": kind,
                "channel": "website",
                "occurred_at": (now - timedelta(seconds=10 - n)).isoformat(),
                "identities": {"anonymous_id": visitor, **extra},
                "properties": properties,
            }
            for n, (kind, properties, extra) in enumerate(events)
        ]
    }
    answer = httpx.post(f"{ingest_url}/v1/events/batch", json=body, auth=(DEV_WRITE_KEY, ""))
    assert answer.status_code == 200, answer.text
    return visitor


def test_searching_the_leads_page_by_email_opens_that_lead(
    fed: FedSystem, browser: webdriver.Chrome
) -> None:
    visitor = post_a_new_mql(fed.system.ingest_url)
    email = f"{visitor}@Example.CN"  # found whatever its case: matched by its normalised hash
    deadline = time.monotonic() + 60
    while not (found := fed.get("/v1/leads", q=email)["items"]):
        assert time.monotonic() < deadline, "the new lead was not projected within 60 s"
        time.sleep(0.5)
    (lead,) = found

    open_page(browser, f"{fed.dashboard}/leads", "leads")
    box = browser.find_element(By.CSS_SELECTOR, "[data-testid=open-lead]")
    box.send_keys(email)
    box.submit()

    WebDriverWait(browser, 20).until(lambda d: d.current_url.endswith(f"/leads/{lead['lead_id']}"))
    ready(browser, "lead")
    assert_no_console_errors(browser)


def test_lead_page_shows_score_history_breakdown_stages_and_timeline(
    fed: FedSystem, browser: webdriver.Chrome
) -> None:
    promotions = fed.get("/v1/dashboard/promotions", limit=500)["items"]
    lead_id = next(p["lead_id"] for p in promotions if p["to_tier"] == "opportunity")
    detail = fed.get(f"/v1/leads/{lead_id}", timeline_limit=200)
    history = fed.get(f"/v1/dashboard/leads/{lead_id}/score-history")

    open_page(browser, f"{fed.dashboard}/leads/{lead_id}", "lead")

    shown_score = browser.find_element(By.CSS_SELECTOR, "[data-testid=lead-score]").text
    assert number(shown_score) == pytest.approx(detail["profile"]["score"], abs=0.051)
    bars = browser.execute_script(
        "return [...document.querySelectorAll('[data-testid=breakdown] [data-rule]')]"
        ".map(g => [g.dataset.rule, +g.dataset.points])"
    )
    assert bars == [[line["rule"], line["points"]] for line in detail["score"]["breakdown"]]
    dots = browser.find_elements(By.CSS_SELECTOR, "[data-testid=score-chart] circle.marker")
    assert len(dots) == len(detail["tier_history"]) and history["points"]
    stage_rows = browser.find_elements(By.CSS_SELECTOR, "[data-testid=stage-history] tbody tr")
    assert len(stage_rows) == max(1, len(detail["stage_history"]))
    items = browser.find_elements(By.CSS_SELECTOR, "[data-testid=timeline] li")
    assert len(items) == len(detail["timeline"])
    shot(browser, "lead")


def test_lead_page_shows_the_contact_details_the_api_opens_for_a_manager(
    fed: FedSystem, browser: webdriver.Chrome
) -> None:
    promotions = fed.get("/v1/dashboard/promotions", limit=500)["items"]
    details = (fed.get(f"/v1/leads/{p['lead_id']}") for p in promotions)
    detail = next(d for d in details if d.get("contact"))  # demo forms carry email and phone

    open_page(browser, f"{fed.dashboard}/leads/{detail['lead_id']}", "lead")

    shown = browser.execute_script(
        "return Object.fromEntries([...document.querySelectorAll('[data-contact]')]"
        ".map(dd => [dd.dataset.contact, dd.textContent]))"
    )
    expected = {key: value for key, value in detail["contact"].items() if value}
    assert shown == expected


def test_english_labels_on_request_chinese_stage_names_by_default(
    fed: FedSystem, browser: webdriver.Chrome
) -> None:
    open_page(browser, f"{fed.dashboard}/funnel", "funnel")
    assert "需求确认" in browser.find_element(By.CSS_SELECTOR, "[data-testid=stage-table]").text

    browser.find_element(By.CSS_SELECTOR, "[data-testid=language]").click()
    ready(browser, "funnel")
    table = browser.find_element(By.CSS_SELECTOR, "[data-testid=stage-table]").text
    assert "Needs confirmed" in table and "Quote & negotiation" in table
    shot(browser, "funnel-en")
    assert_no_console_errors(browser)
    browser.find_element(By.CSS_SELECTOR, "[data-testid=language]").click()
    ready(browser, "funnel")


def test_points_page_ranks_the_team_and_a_rep_page_shows_breakdown_rank_and_trend(
    fed: FedSystem, browser: webdriver.Chrome
) -> None:
    month = (datetime.now(UTC).replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    board = fed.get("/v1/teams/east/leaderboard", month=month)
    assert any(row["points"] for row in board["reps"]), board  # the demo feeds the points
    open_page(browser, f"{fed.dashboard}/points?team=east&month={month}", "points")

    shown = browser.execute_script(
        "return [...document.querySelectorAll('[data-testid=leaderboard] tr[data-owner]')]"
        ".map(tr => [Number(tr.dataset.rank), tr.dataset.owner,"
        " tr.querySelector('[data-key=points]').textContent,"
        " tr.querySelector('[data-key=kpi]').textContent])"
    )
    assert [(rank, owner) for rank, owner, *_ in shown] == [
        (row["rank"], row["owner"]) for row in board["reps"]
    ]
    assert [number(points) for _, _, points, _ in shown] == [r["points"] for r in board["reps"]]
    assert [number(kpi) for *_, kpi in shown] == [round(r["kpi"], 1) for r in board["reps"]]
    team_points = browser.find_element(By.CSS_SELECTOR, "[data-testid=team-points]").text
    assert number(team_points) == board["points"] == sum(r["points"] for r in board["reps"])
    shot(browser, "points")

    best = board["reps"][0]["owner"]
    browser.find_element(By.CSS_SELECTOR, f"[data-testid=leaderboard] a[data-rep='{best}']").click()
    ready(browser, "rep")
    assert_no_console_errors(browser)
    rep = fed.get(f"/v1/reps/{best}/points", month=month, months=6)
    assert browser.find_element(By.CSS_SELECTOR, "[data-testid=points-month]").text == month
    assert (
        number(browser.find_element(By.CSS_SELECTOR, "[data-testid=rep-points]").text)
        == (rep["points"])
    )
    rank = browser.find_element(By.CSS_SELECTOR, "[data-testid=rep-rank]").text
    assert (rep["rank"], rank) == (1, f"#1 / {rep['team_size']}")
    rules = browser.execute_script(
        "return Object.fromEntries([...document.querySelectorAll("
        "'[data-testid=breakdown-table] tr[data-rule]')].map(tr =>"
        " [tr.dataset.rule, tr.querySelector('[data-key=points]').textContent]))"
    )
    assert {rule: number(points) for rule, points in rules.items()} == {
        item["rule_id"]: item["points"] for item in rep["breakdown"]
    }
    assert {"effective_follow_up", "stage_advanced"} <= set(rules)
    dots = browser.find_elements(By.CSS_SELECTOR, "[data-testid=points-trend] circle")
    assert len(dots) == len(rep["trend"]) == 6
    shot(browser, "rep-points")


async def _rep_token(database_url: str, owner: str) -> str:
    conn = await asyncpg.connect(database_url)
    try:
        return await add_token(conn, f"rep-{uuid.uuid4().hex[:8]}", Role.REP, owner)
    finally:
        await conn.close()


def test_a_rep_token_lands_on_its_own_points_page_and_nowhere_else(
    fed: FedSystem, tmp_path: Path
) -> None:
    owner = "li.na"
    token = asyncio.run(_rep_token(fed.system.settings.database_url, owner))
    headers = {"Authorization": f"Bearer {token}"}
    session = start_chromium(tmp_path, window=(1280, 1250))
    try:
        session.get(f"{fed.dashboard}/points")
        field = WebDriverWait(session, 15).until(
            lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=token-input]")
        )
        field.send_keys(token)
        session.find_element(By.CSS_SELECTOR, "[data-testid=token-save]").click()
        ready(session, "points")
        assert owner in session.find_element(By.CSS_SELECTOR, "[data-testid=rep-title]").text
        assert session.find_elements(By.CSS_SELECTOR, "[data-testid=leaderboard]") == []
        mine = httpx.get(
            f"{fed.system.query_url}/v1/reps/{owner}/points", headers=headers, timeout=10
        )
        shown = session.find_element(By.CSS_SELECTOR, "[data-testid=rep-points]").text
        assert number(shown) == mine.json()["points"]
        todos = httpx.get(
            f"{fed.system.query_url}/v1/reps/{owner}/todos", headers=headers, timeout=10
        ).json()["items"]
        listed = session.find_elements(By.CSS_SELECTOR, "[data-testid=rep-todos] tbody tr")
        assert [row.get_attribute("data-source") for row in listed] == [
            item["source_id"] for item in todos
        ]
        if not todos:  # nothing to do this week: the page says so
            assert session.find_element(By.CSS_SELECTOR, "[data-testid=rep-todos]").text
    finally:
        session.quit()
    other = httpx.get(
        f"{fed.system.query_url}/v1/reps/wang.fang/points", headers=headers, timeout=10
    )
    assert other.status_code == 403


async def _store_risk_model(settings: Any) -> str:
    """A hand-made model (risk rises with the silence since the last effective talk), stored
    as the newest: the page shows what the API scores, however the model was trained."""
    from forecast.model.features import FEATURES
    from forecast.model.logistic import RiskModel
    from forecast.store import save_model

    weights = {"days_since_effective_contact": 1.5, "stay_vs_median": 0.5}
    model = RiskModel(
        f"e2e-{uuid.uuid4().hex[:8]}", datetime.now(UTC), 7.0, FEATURES,
        tuple(math.log1p(2.0) for _ in FEATURES), tuple(0.5 for _ in FEATURES),
        tuple(weights.get(name, 0.0) for name in FEATURES), 0.0,
    )  # fmt: skip
    conn = await asyncpg.connect(settings.database_url)
    try:
        await save_model(conn, model, settings.funnel_schema)
    finally:
        await conn.close()
    return model.version


def test_risk_page_lists_the_apis_deals_at_risk_and_the_lead_page_their_reasons(
    fed: FedSystem, browser: webdriver.Chrome
) -> None:
    version = asyncio.run(_store_risk_model(fed.system.settings))
    scored = fed.get("/v1/opportunities/at-risk", min_risk=0, limit=500)
    at_risk = fed.get("/v1/opportunities/at-risk", limit=200)
    assert scored["model_version"] == version and scored["items"], "the demo has open deals"

    open_page(browser, f"{fed.dashboard}/risk", "risk")

    rows = table_rows(browser, "risk-table")
    # the page may be scored now or read from the alerts worker's last check, which can land
    # between two reads: the table is one of the API's answers around it
    after = fed.get("/v1/opportunities/at-risk", limit=200)
    shown = {row["row"] for row in rows}
    answers = [
        page for page in (at_risk, after) if shown == {i["opportunity_id"] for i in page["items"]}
    ]
    assert answers, "the table lists the API's at-risk deals"
    for row, item in zip(
        sorted(rows, key=lambda r: r["row"]),
        sorted(answers[0]["items"], key=lambda i: i["opportunity_id"]),
        strict=True,
    ):
        assert abs(number(row["cells"]["risk"]) - item["risk"] * 100) <= 1  # scored twice
        assert row["cells"]["reasons"] == "".join(r["text"] for r in item["reasons"])
    shot(browser, "risk")
    deal = scored["items"][0]
    open_page(browser, f"{fed.dashboard}/leads/{deal['lead_id']}", "lead")
    shown = table_rows(browser, "lead-risk")
    assert deal["opportunity_id"] in {row["row"] for row in shown}
    reasons = browser.find_elements(By.CSS_SELECTOR, "[data-testid=lead-risk] [data-feature]")
    assert [r.get_attribute("data-feature") for r in reasons][: len(deal["reasons"])] == [
        r["feature"] for r in deal["reasons"]
    ]
