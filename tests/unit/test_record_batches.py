"""runtime/record_batches.py: every record once, in order, in closed batches within the size."""

from __future__ import annotations

from aiokafka.record.default_records import DefaultRecordBatch
from hypothesis import given
from hypothesis import strategies as st

from runtime.record_batches import record_batches

RECORDS = st.lists(
    st.tuples(st.binary(min_size=1, max_size=40), st.binary(max_size=600)), max_size=60
)


@given(RECORDS, st.integers(min_value=256, max_value=8192))
def test_every_record_once_in_order_in_closed_batches_within_the_size(
    records: list[tuple[bytes, bytes]], size: int
) -> None:
    batches = record_batches([(key, value, []) for key, value in records], size)

    read = []
    for batch in batches:
        assert batch.closed()
        data = bytes(batch._build())
        # a batch over the size holds one record that would not fit any batch
        assert len(data) <= size or batch.record_count() == 1
        read += [(r.key, r.value) for r in DefaultRecordBatch(data)]
    assert read == records
    assert sum(batch.record_count() for batch in batches) == len(records)


def test_a_small_share_is_one_batch() -> None:
    batches = record_batches([(b"lead-1", b"x" * 100, []), (b"lead-2", None, [])])

    assert len(batches) == 1 and batches[0].record_count() == 2
