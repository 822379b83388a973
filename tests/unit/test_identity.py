"""Identity resolution: new leads, adopting known ones, merges where the older lead survives."""

from __future__ import annotations

from schemas.events import Event
from scoring.model.identity import Hop, lead_id_for, reconcile, resolve, start, step
from tests.unit.scoring_factories import at, event

PHONE = "phone:" + "a" * 64
PHONE_HASH = "a" * 64


def older(n: int) -> str:
    """A lead id born n days before the tests' epoch minus a year: older than any test event."""
    return lead_id_for(f"seed:{n}", at(days=-365 + n))


def visit(when_days: float = 0, **identities: str) -> Event:
    return event("page_viewed", {"url": "/x"}, when=at(days=when_days), identities=identities)


def test_first_event_creates_a_lead_from_its_strongest_key_and_claims_every_key() -> None:
    first = visit(anonymous_id="anon-1", phone_hash=PHONE_HASH)
    resolution = resolve(first, {})
    assert resolution.lead_id == lead_id_for(PHONE, at())
    assert resolution.assignments == {PHONE: resolution.lead_id, "anon:anon-1": resolution.lead_id}
    assert resolution.merges == ()


def test_lead_ids_sort_by_age() -> None:
    assert lead_id_for("anon:z", at(days=0)) < lead_id_for("anon:a", at(days=1))
    assert lead_id_for("anon:z", at()).startswith("lead_") and len(lead_id_for("x", at())) == 29


def test_known_key_adopts_its_lead_and_claims_the_new_keys() -> None:
    resolution = resolve(visit(1, anonymous_id="anon-2", user_id="u1"), {"user:u1": older(1)})
    assert resolution.lead_id == older(1)
    assert resolution.assignments == {"anon:anon-2": older(1)} and resolution.merges == ()


def test_wechat_follower_submitting_a_visitors_phone_merges_into_the_older_lead() -> None:
    visitor = resolve(visit(0, anonymous_id="web-1", phone_hash=PHONE_HASH), {}).lead_id
    follower = resolve(visit(2, wechat_openid="o-1", wechat_appid="wxapp"), {}).lead_id
    known = {PHONE: visitor, "wx_open:wxapp/o-1": follower}
    link = visit(3, wechat_openid="o-1", wechat_appid="wxapp", phone_hash=PHONE_HASH)
    resolution = resolve(link, known)
    [merge] = resolution.merges
    assert visitor < follower
    assert (merge.surviving_lead_id, merge.merged_lead_id) == (visitor, follower)
    assert merge.linking_identities == ["wx_open:wxapp/o-1"]
    assert merge.trigger_event_id == link.event_id and resolution.lead_id == visitor


def test_merge_id_depends_on_the_pair_only() -> None:
    known = {"user:u1": older(1), "anon:a": older(2)}
    one = resolve(visit(anonymous_id="a", user_id="u1"), known).merges[0]
    two = resolve(visit(5, anonymous_id="a", user_id="u1"), known).merges[0]
    assert one.merge_id == two.merge_id and one.trigger_event_id != two.trigger_event_id


def test_a_proposal_that_loses_to_a_stored_lead_merges_nothing() -> None:
    hop = start(visit(9, anonymous_id="new"))
    outcome = step(hop, "anon:new", older(1), visit(9, anonymous_id="new"))
    assert outcome.merge is None and outcome.hop.lead_id == older(1)


def test_a_late_older_event_renames_the_lead_to_the_older_id() -> None:
    younger = resolve(visit(10, anonymous_id="a"), {}).lead_id
    late = visit(1, anonymous_id="a", user_id="u")
    resolution = resolve(late, {"anon:a": younger})
    [merge] = resolution.merges
    assert merge.surviving_lead_id == resolution.lead_id == lead_id_for("user:u", at(days=1))
    assert merge.merged_lead_id == younger
    assert resolution.assignments["anon:a"] == resolution.lead_id


def test_reconcile_redirects_a_merge_whose_loser_was_already_merged() -> None:
    known = {"user:u": older(2), "anon:a": older(3)}
    [first] = resolve(visit(anonymous_id="a", user_id="u"), known).merges
    follow = reconcile(first, merged_into=older(1))
    assert follow is not None
    assert (follow.surviving_lead_id, follow.merged_lead_id) == (older(1), older(2))
    assert reconcile(first, merged_into=older(2)) is None
    assert reconcile(first, merged_into=None) is None


def test_hops_carry_the_lead_between_partitions() -> None:
    link = visit(anonymous_id="a", user_id="u")
    hop = start(link)
    first = step(hop, "user:u", older(5), link)
    second = step(first.hop, "anon:a", None, link)
    assert second.hop == Hop(lead_id=older(5), is_materialized=True)
    assert second.assignment == older(5)
