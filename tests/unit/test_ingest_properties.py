"""Whatever JSON arrives, mapping returns an event or a rejection naming a field; never raises."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.events import EnvelopeBase
from services.ingest import examples
from services.ingest.crm import StageChangeIn, crm_event
from services.ingest.envelope import Stamp
from services.ingest.native import native_event
from services.ingest.rejections import Rejection
from services.ingest.routes import _segment_convert
from services.ingest.segment import SegmentMapper
from services.pii import PiiHasher
from services.settings import SALES_STAGES, SEGMENT_EVENT_TYPES, WriteKey

STAMP = Stamp(datetime(2026, 11, 27, tzinfo=UTC), "k", PiiHasher("s"))
KEY = WriteKey(name="k", sha256="0" * 64)
SEGMENT = _segment_convert(SegmentMapper.from_table(SEGMENT_EVENT_TYPES), None)

scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)


def _mutated(base: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """A known-good body with some fields replaced by arbitrary JSON, or dropped."""
    changes = st.dictionaries(st.sampled_from([*base, "type", "channel"]), json_values, max_size=3)
    return st.builds(lambda change: {**base, **change}, changes)


def _is_outcome(result: object) -> bool:
    if isinstance(result, Rejection):
        return result.pointer == "" or result.pointer.startswith("/")
    return isinstance(result, EnvelopeBase)


@settings(max_examples=300, deadline=None)
@given(
    _mutated({"type": "track", **examples.SEGMENT_TRACK})
    | _mutated({"type": "identify", **examples.SEGMENT_IDENTIFY})
)
def test_segment_mapping_never_raises(body: dict[str, Any]) -> None:
    assert _is_outcome(SEGMENT(body, STAMP, KEY))


@settings(max_examples=300, deadline=None)
@given(_mutated(examples.NATIVE_PAGE_VIEWED) | json_values)
def test_native_mapping_never_raises(body: Any) -> None:
    assert _is_outcome(native_event(body, STAMP))


@settings(max_examples=200, deadline=None)
@given(_mutated(examples.CRM_STAGE_CHANGE))
def test_crm_mapping_never_raises(body: dict[str, Any]) -> None:
    assert _is_outcome(crm_event(body, StageChangeIn, STAMP, SALES_STAGES))
