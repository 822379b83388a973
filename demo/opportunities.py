"""Opportunities through the sales stages, shaped like the source article's table.

Stage by stage, over every opportunity that entered it: the days in the stage are drawn from a
gamma distribution and then scaled so their mean over the stays that ended before `now` is the
stage's target; of those stays exactly round(conversion × n) move on (or win, at the last stage)
and the rest are lost with one of the stage's typical reasons. Stays that would end after `now`
are still open: those opportunities are in flight.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import fmean
from typing import Any

from demo.catalog import (
    COMMUNICATION_KINDS,
    DEAL_MEDIAN_CNY,
    DEAL_SIGMA,
    EFFECTIVE_SHARE,
    FEEDBACK_SHARE,
    MINUTES_SHARE,
    OWNERS,
    PRICING_PAGE,
    SITE,
    STAGE_SHAPE,
    STAGE_TARGETS,
    StageTarget,
)
from demo.plan import Post, Trail
from funnel.model.gates import load_gates

MIN_DAYS = 0.05  # about an hour: nobody moves a deal on in seconds
GATES = load_gates()  # the shipped stage gates (funnel/default_gates.yaml)
GATE_MISS_SHARE = 0.12  # moves whose rep skipped the gate's evidence or approval
DRAG_NOISE = 0.3  # how loosely a stay's length decides whether it moves on
FADING_EFFECTIVE_SHARE = 0.35  # effective communications of a deal going quiet
DEAL_PAGES = (PRICING_PAGE, "/products/mes", "/products/quality", "/customers")
STAGE_CONVERSION = {target.stage: target.conversion for target in STAGE_TARGETS}


@dataclass(frozen=True, slots=True)
class Opening:
    """An SQL the CRM opens an opportunity for, at its first contact."""

    lead: int
    first_contact_at: datetime
    contact: dict[str, str]


@dataclass(frozen=True, slots=True)
class Stay:
    """One opportunity's time in one stage; `outcome` None while it is still there."""

    stage: str
    entered_at: datetime
    exited_at: datetime | None = None
    outcome: str | None = None  # advanced | won | lost
    lost_reason: str | None = None


@dataclass(frozen=True, slots=True)
class OpportunityPlan:
    """An opportunity's stays and the CRM records that report them."""

    lead: int
    opportunity_id: str
    owner: str
    amount: float
    stays: tuple[Stay, ...]
    posts: tuple[Post, ...]


def fit_mean(days: list[float], rooms: list[float], target: float) -> list[float]:
    """Scale durations so their mean is `target`, none longer than its room (time until now)."""
    for _ in range(12):
        if not days:
            return days
        factor = target / fmean(days)
        days = [max(MIN_DAYS, min(d * factor, room)) for d, room in zip(days, rooms, strict=True)]
    return days


def _stage_stays(
    entries: list[tuple[int, datetime]], target: StageTarget, rng: random.Random, now: datetime
) -> list[tuple[int, Stay]]:
    """One stage for every opportunity entering it: (opportunity, its stay)."""
    drawn = [rng.gammavariate(STAGE_SHAPE, target.avg_days / STAGE_SHAPE) for _ in entries]
    rooms = [(now - entered).total_seconds() / 86_400 - 0.01 for _, entered in entries]
    ended = [k for k, (d, room) in enumerate(zip(drawn, rooms, strict=True)) if d <= room]
    fitted = fit_mean([drawn[k] for k in ended], [rooms[k] for k in ended], target.avg_days)
    days = dict(zip(ended, fitted, strict=True))
    # Deals that drag on are lost more often (what the churn-risk model should find): the
    # movers are the stays shortest after a random stretch, so the mean and the rate still hold.
    stretched = {k: days[k] * rng.lognormvariate(0, DRAG_NOISE) for k in ended}
    movers = sorted(ended, key=lambda k: stretched[k])
    moving = set(movers[: round(target.conversion * len(ended))])
    last = target is STAGE_TARGETS[-1]
    reasons, weights = zip(*target.lost_reasons, strict=True)
    stays = []
    for k, (opportunity, entered) in enumerate(entries):
        if k not in days:
            stays.append((opportunity, Stay(target.stage, entered)))
            continue
        exited = entered + timedelta(days=days[k])
        if k in moving:
            outcome = "won" if last else "advanced"
            stays.append((opportunity, Stay(target.stage, entered, exited, outcome)))
        else:
            reason = rng.choices(reasons, weights=weights)[0]
            stays.append((opportunity, Stay(target.stage, entered, exited, "lost", reason)))
    return stays


def plan_stays(openings: list[Opening], seed: int, now: datetime) -> list[list[Stay]]:
    """Every opening's stays, stage after stage (same seed, openings and now: same stays)."""
    rng = random.Random(f"{seed}:stages")
    stays: list[list[Stay]] = [[] for _ in openings]
    entries = [(k, opening.first_contact_at) for k, opening in enumerate(openings)]
    for target in STAGE_TARGETS:
        moved = []
        for opportunity, stay in _stage_stays(entries, target, rng, now):
            stays[opportunity].append(stay)
            if stay.outcome == "advanced" and stay.exited_at is not None:
                moved.append((opportunity, stay.exited_at))
        entries = moved
    return stays


def _is_fading(stay: Stay, rng: random.Random) -> bool:
    """Whether the deal goes quiet in this stay: it is lost there, or (still open) it will be
    as often as the stage loses deals."""
    if stay.outcome is None:
        return rng.random() >= STAGE_CONVERSION[stay.stage]
    return stay.outcome == "lost"


def _engagement(
    trail: Trail, base: dict[str, Any], stay: Stay, end: datetime, fading: bool
) -> None:
    """The customer's own visits while the deal is alive (pricing, product pages): they keep
    coming while it moves on and stop early in a stay that goes quiet."""
    rng = trail.rng
    span, visits = ((0.0, 0.3), (0, 1)) if fading else ((0.05, 0.95), (1, 3))
    for _ in range(rng.randint(*visits)):
        at = stay.entered_at + (end - stay.entered_at) * rng.uniform(*span)
        page = {"url": SITE + rng.choice(DEAL_PAGES), "dwell_seconds": round(rng.uniform(20, 180))}
        trail.event(at, "page_viewed", "website", base["identities"], page)


def _attached(record: dict[str, Any]) -> dict[str, Any]:
    """What the CRM attached to a move: what its stage's gate asks for, but now and then a rep
    skips the evidence or the approval (the stage gates' violations). Drawn from a generator of
    the move's own, so the rest of the data set is the same with or without gates."""
    gate = GATES.stages.get(record["stage"])
    if gate is None:
        return {}
    rng = random.Random(f"gate:{record['opportunity_id']}:{record['stage']}")
    skipped = rng.random() < GATE_MISS_SHARE
    evidence = list(gate.evidence[:-1] if skipped else gate.evidence)
    approval = {"approved_by": "sales.manager"} if gate.approval and not skipped else {}
    return {"evidence": evidence} | approval


def _next_step_due(record: dict[str, Any], flags: dict[str, bool], at: datetime) -> dict[str, Any]:
    """When an agreed next step is due: three to ten days on (its own generator, as above)."""
    if not flags["next_step_agreed"]:
        return {}
    rng = random.Random(f"next-step:{record['communication_id']}")
    return {"next_step_due": (at + timedelta(days=rng.randint(3, 10))).date().isoformat()}


def _communications(trail: Trail, base: dict[str, Any], stay: Stay, now: datetime) -> None:
    rng = trail.rng
    end = stay.exited_at or now
    # A deal on its way out is talked to early in the stay and less to the point; one that
    # moves on is followed up until it does (the patterns the churn-risk model learns).
    fading = _is_fading(stay, rng)
    _engagement(trail, base, stay, end, fading)
    span, share, talks = (
        ((0.02, 0.3), FADING_EFFECTIVE_SHARE, (1, 2))
        if fading
        else ((0.1, 0.98), EFFECTIVE_SHARE, (2, 4))
    )
    for _ in range(rng.randint(*talks) if stay.stage != "first_contact" else 1):
        at = stay.entered_at + (end - stay.entered_at) * rng.uniform(*span)
        effective = rng.random() < share
        flags = {
            "need_identified": effective and rng.random() < 0.7,
            "next_step_agreed": effective and rng.random() < 0.6,
            "referral_obtained": effective and rng.random() < 0.1,
        }
        if effective and not any(flags.values()):
            flags["next_step_agreed"] = True
        kind = rng.choice(COMMUNICATION_KINDS)
        number = trail.issued + 1
        record = {**base, "communication_id": f"{base['opportunity_id']}-c{number}", "kind": kind}
        # complete minutes of most effective meetings and visits: points for the rep (issue 12)
        minutes = effective and kind in ("meeting", "visit") and rng.random() < MINUTES_SHARE
        extra = {"minutes_uploaded": minutes} | _next_step_due(record, flags, at)
        trail.add("communications", at, record | flags | extra)


def _feedback(trail: Trail, base: dict[str, Any], stay: Stay) -> None:
    """The customer's NPS-style score a day after the deal closed: mostly happy when won."""
    if stay.exited_at is None or trail.rng.random() >= FEEDBACK_SHARE:
        return
    low, high = (6, 10) if stay.outcome == "won" else (1, 8)
    properties = {
        "score": trail.rng.randint(low, high),
        "owner": base["owner"],
        "opportunity_id": base["opportunity_id"],
    }
    identities = {**base["identities"], "crm_lead_id": base["crm_lead_id"]}
    trail.add(
        "events",
        stay.exited_at + timedelta(days=1),
        {"type": "feedback_given", "schema_version": 2, "channel": "crm", "identities": identities,
         "properties": properties},
    )  # fmt: skip


def opportunity(opening: Opening, stays: list[Stay], seed: int, now: datetime) -> OpportunityPlan:
    """The CRM's records for one opportunity: a stage change per move, talks in every stage."""
    rng = random.Random(f"{seed}:opportunity:{opening.lead}")
    trail = Trail(opening.lead, seed, now, rng, tag="c")
    opportunity_id = f"OPP-{seed}-{opening.lead:05d}"
    owner = rng.choice(OWNERS)
    amount = round(rng.lognormvariate(0, DEAL_SIGMA) * DEAL_MEDIAN_CNY, -3)
    base = {
        "crm_lead_id": f"CRM-{seed}-{opening.lead:05d}",
        "identities": dict(opening.contact),
        "opportunity_id": opportunity_id,
        "owner": owner,
        "schema_version": 2,  # owner always, amount and currency when won
    }
    previous = None
    for stay in stays:
        priced: dict[str, Any] = {"amount": amount, "currency": "CNY"} if previous else {}
        moved: dict[str, Any] = {"previous_stage": previous} if previous else {}
        entered = base | {"stage": stay.stage} | moved | priced
        trail.add("stage_changes", stay.entered_at, entered | _attached(entered))
        _communications(trail, base, stay, now)
        previous = stay.stage
        if stay.outcome in ("won", "lost") and stay.exited_at is not None:
            closing = {"stage": stay.outcome, "previous_stage": stay.stage, "amount": amount}
            closing["currency"] = "CNY"
            if stay.lost_reason:
                closing["lost_reason"] = stay.lost_reason
            trail.add("stage_changes", stay.exited_at, base | closing | _attached(base | closing))
            _feedback(trail, base, stay)
    return OpportunityPlan(
        opening.lead, opportunity_id, owner, amount, tuple(stays), tuple(trail.posts)
    )
