"""Lead endpoints: the filtered, cursor-paginated list, one lead's full picture, its score."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import StreamingResponse

from funnel.store import queries
from funnel.store.queries import LeadFilter
from runtime.ops_http import invalid_query, json_response, utc_or_422
from schemas.outgoing import Tier
from services.query.auth import PrincipalDep, ReadAccess, visible
from services.query.contacts import lead_contact, may_read_contact, without_contact_traits
from services.query.csv_export import csv_header, csv_row, wants_csv
from services.query.deps import PoolDep
from services.query.models import LeadDetail, LeadPage, LeadSummary, ScoreOut
from services.query.search import MAX_QUERY, search_keys
from services.vault.crypto import company_query_token

router = APIRouter(prefix="/v1/leads", tags=["leads"], dependencies=[ReadAccess])
ANSWERS: dict[int | str, dict[str, Any]] = {
    401: {"description": "no read token"},
    403: {"description": "not a read token, or a rep's token asking for another owner's leads"},
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {**ANSWERS, 404: {"description": "no such lead"}}


def _utc(at: datetime | None) -> datetime:
    at = at or datetime.now(UTC)
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at


def lead_filter(
    tier: Tier | None,
    channel: str | None,
    owner: str | None,
    score_min: float | None,
    score_max: float | None,
    stale: bool | None,
    stale_days: float,
    as_of: datetime | None,
) -> LeadFilter:
    """The list filter; staleness is measured back from `as_of` (default: now)."""
    given = utc_or_422("as_of", _utc(as_of))
    try:
        cutoff = given - timedelta(days=stale_days)
    except OverflowError as error:  # before year 1: no timestamp to compare with
        name = "as_of" if as_of is not None else "stale_days"
        raise invalid_query(name, "`as_of` minus `stale_days` is before year 1") from error
    return LeadFilter(
        tier=tier.value if tier else None,
        channel=channel,
        owner=owner,
        score_min=score_min,
        score_max=score_max,
        stale_before=cutoff if stale is True else None,
        active_since=cutoff if stale is False else None,
    )


def score_out(lead: dict[str, Any]) -> ScoreOut:
    """The score block of a lead row, with its per-rule breakdown."""
    return ScoreOut.model_validate(
        {
            "lead_id": lead["lead_id"],
            "score": lead["score"],
            "tier": lead["tier"],
            "rule_version": lead["rule_version"],
            "event_id": lead["score_event_id"],
            "changed_at": lead["score_changed_at"],
            "breakdown": queries.breakdown(lead["contributions"]),
        }
    )


async def lead_detail(pool: Any, requested: str, timeline_limit: int) -> LeadDetail | None:
    """Everything about a lead (or the survivor of a merged one); None when unknown."""
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read"):
        lead_id = await queries.resolve_lead(conn, requested)
        lead = await queries.lead_row(conn, lead_id) if lead_id else None
        if lead is None:
            return None
        history = await queries.lead_history(conn, lead["lead_id"], timeline_limit)
    for event in history["timeline"]:  # events from before the vault kept traits in clear
        event["properties"] = without_contact_traits(event["properties"])
    reached = {k: lead[f"{k}_at"] for k in ("mql", "sql", "opportunity", "won", "lost")}
    profile = {k: lead[k] for k in ("tier", "score", "owner", "first_seen_at", "first_channel")}
    profile |= {
        k: lead[k] for k in ("first_campaign", "last_activity_at", "last_effective_contact_at")
    }
    return LeadDetail.model_validate(
        {
            "lead_id": lead["lead_id"],
            "requested_lead_id": requested,
            "profile": {**profile, "reached": reached},
            "score": score_out(lead),
            **history,
        }
    )


CSV_PAGE = 500  # leads fetched per query while a CSV export streams
LIST_ANSWERS: dict[int | str, dict[str, Any]] = {
    **ANSWERS,
    200: {
        "content": {"text/csv": {"schema": {"type": "string"}}},
        "description": "JSON one page at a time, or with Accept: text/csv every page as CSV",
    },
}


async def _csv_pages(
    pool: Any, chosen: LeadFilter, after: tuple[float, str] | None
) -> AsyncIterator[str]:
    """Every lead matching the filter as CSV, one page query (and one chunk) at a time."""
    columns = list(LeadSummary.model_fields)
    yield csv_header(columns)
    cursor = after
    while True:
        items, next_cursor = await queries.list_leads(pool, chosen, cursor, CSV_PAGE)
        summaries = (LeadSummary.model_validate(item).model_dump(mode="json") for item in items)
        yield "".join(csv_row(columns, summary) for summary in summaries)
        if next_cursor is None:
            return
        cursor = queries.decode_cursor(next_cursor)


@router.get("", response_model=LeadPage, responses=LIST_ANSWERS)
async def get_leads(
    request: Request,
    pool: PoolDep,
    principal: PrincipalDep,
    tier: Tier | None = None,
    channel: Annotated[str | None, Query(description="first-touch channel")] = None,
    owner: str | None = None,
    score_min: float | None = None,
    score_max: float | None = None,
    stale: Annotated[
        bool | None, Query(description="true: open leads with no activity for `stale_days`")
    ] = None,
    stale_days: Annotated[float, Query(gt=0, le=36_500, description="at most 100 years")] = 7,
    as_of: Annotated[datetime | None, Query(description="staleness measured back from")] = None,
    cursor: Annotated[str | None, Query(description="`next_cursor` of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    q: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=MAX_QUERY,
            description="an email, phone, CRM lead id, WeChat openid/unionid, user id, lead id"
            " or (contact readers) a company-name prefix of 2+ characters",
        ),
    ] = None,
) -> Any:
    """Leads matching the filters, highest score first, one page at a time."""
    try:
        after = queries.decode_cursor(cursor) if cursor else None
    except ValueError as error:
        raise invalid_query("cursor", str(error)) from error
    scope = principal.owner_scope
    if scope is not None:  # a rep reads its own leads only
        if owner not in (None, scope):
            raise HTTPException(403, "this token reads only the leads it owns")
        owner = scope
    chosen = lead_filter(tier, channel, owner, score_min, score_max, stale, stale_days, as_of)
    if q is not None:
        settings = request.app.state.settings
        keys = search_keys(q, request.app.state.hasher, [a.appid for a in settings.wechat_accounts])
        # company names are sealed: matched by blind-index token, for contact readers only
        company = (
            company_query_token(settings.pii_hmac_secret, q)
            if may_read_contact(principal)
            else None
        )
        chosen = replace(chosen, identities=tuple(keys), lead_id=q.strip(), company_token=company)
    if wants_csv(request):  # every page, streamed: `limit` is the JSON page size only
        return StreamingResponse(
            _csv_pages(pool, chosen, after),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="leads.csv"'},
        )
    items, next_cursor = await queries.list_leads(pool, chosen, after, limit)
    return json_response(
        LeadPage.model_validate({"items": items, "next_cursor": next_cursor}).model_dump(
            mode="json"
        )
    )


@router.get("/{lead_id}", response_model=LeadDetail, responses=NOT_FOUND)
async def get_lead(
    request: Request,
    pool: PoolDep,
    principal: PrincipalDep,
    lead_id: str,
    timeline_limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Any:
    """Profile, identities, score breakdown, tier and stage history, recent timeline."""
    detail = await lead_detail(pool, lead_id, timeline_limit)
    if detail is None or not principal.may_read(detail.profile.owner):
        raise HTTPException(404, f"no lead {lead_id}")
    if not may_read_contact(principal):  # analysts: no contact field in the body at all
        return json_response(detail.model_dump(mode="json", exclude={"contact"}))
    async with pool.acquire() as conn:
        contact = await lead_contact(conn, request.app.state.keys, detail.lead_id)
    return json_response(detail.model_copy(update={"contact": contact}).model_dump(mode="json"))


@router.get("/{lead_id}/score", response_model=ScoreOut, responses=NOT_FOUND)
async def get_lead_score(pool: PoolDep, principal: PrincipalDep, lead_id: str) -> Any:
    """The lead's current score, tier and per-rule breakdown."""
    resolved = await queries.resolve_lead(pool, lead_id)
    lead = visible(principal, await queries.lead_row(pool, resolved) if resolved else None)
    if lead is None:
        raise HTTPException(404, f"no lead {lead_id}")
    return json_response(score_out(lead).model_dump(mode="json"))
