"""A partition's records as few Kafka record batches, each sent in one produce request.

aiokafka's own batches are 16 KB and one per partition is in flight at a time, so a large share
sent with `send()` costs a round trip per 16 KB, and a Python-level call, future and partitioning
per record. Built here and submitted with `send_batch`, a share costs one call per batch.
"""

from __future__ import annotations

from collections.abc import Iterable

from aiokafka.producer.message_accumulator import BatchBuilder

# Under the broker's 1 MB message limit; a full batch starts the next one.
BATCH_BYTES = 512 * 1024
Headers = list[tuple[str, bytes]]  # a list: the C record builder takes no other sequence


def record_batches(
    records: Iterable[tuple[bytes | None, bytes | None, Headers]], size: int = BATCH_BYTES
) -> list[BatchBuilder]:
    """The records in order, in closed batches of at most `size` bytes (a larger record alone).

    Uncompressed and not transactional: for a producer without compression, outside a
    transaction.
    """
    batches = [BatchBuilder(size, 0)]
    for key, value, headers in records:
        if batches[-1].append(timestamp=None, key=key, value=value, headers=headers) is None:
            batches.append(BatchBuilder(size, 0))  # a new batch takes any first record
            batches[-1].append(timestamp=None, key=key, value=value, headers=headers)
    for batch in batches:
        batch.close()  # complete: drained at once, not after the producer's linger
    return batches
