"""The worker's on-disk table store: Faust's RocksDB store, each key in its own partition's db.

A restarted worker reopens its databases and reads only the changelog records after the offset
each database says it holds (Faust's recovery), instead of the whole changelog as the memory
store must. Values are written only after the broker acknowledged their changelog records, in
one atomic write per partition together with that offset (`write_acked`): so a database is never
ahead of its changelog, and a lead whose inputs are redelivered after a crash is redone from the
same state on this worker as on any other that recovers the partition from the changelog.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import rocksdict
from faust.stores.rocksdb import Store

OPTIONS = {"driver": "rocksdict"}  # the table's store options (Faust's own are not used)
#: One block cache and one memtable budget for every table and partition of the process
#: (Faust's defaults are 2 GiB of cache and 3 × 64 MiB memtables per table per partition).
CACHE_BYTES = 64 * 2**20
MEMTABLE_BYTES = 64 * 2**20
_shared: dict[str, Any] = {}


def _options() -> rocksdict.Options:
    if not _shared:
        _shared["cache"] = rocksdict.Cache(CACHE_BYTES)
        _shared["buffers"] = rocksdict.WriteBufferManager(MEMTABLE_BYTES, False)
    options = rocksdict.Options(raw_mode=True)
    options.create_if_missing(True)
    options.set_write_buffer_size(8 * 2**20)
    options.set_max_write_buffer_number(2)
    options.set_write_buffer_manager(_shared["buffers"])
    table = rocksdict.BlockBasedOptions()
    table.set_bloom_filter(10, True)
    table.set_block_cache(_shared["cache"])
    options.set_block_based_table_factory(table)
    return options


class KeyedRocksDBStore(Store):
    """Faust's RocksDB store addressed by the key's partition, not the current event's.

    Stock Faust reads and writes the database of the partition of the event being processed;
    a batch spans partitions, so here every key goes to the database of its own partition
    (`table.partition_of`, the same hash as the input topics).
    """

    def _partition(self, key: bytes) -> int:
        partition = self.table.partition_for_key(key.decode())
        assert partition is not None  # KeyedTable always answers
        return partition

    def _open_for_partition(self, partition: int) -> rocksdict.Rdict:
        path = str(self.partition_path(partition))
        db = rocksdict.Rdict(
            path, options=_options(), access_type=rocksdict.AccessType.read_write()
        )
        db.set_read_options(rocksdict.ReadOptions())
        return db

    def _get(self, key: bytes) -> bytes | None:
        db = self._dbs.get(self._partition(key))
        return None if db is None else db.get(key)

    def _contains(self, key: bytes) -> bool:
        return self._get(key) is not None

    def _set(self, key: bytes, value: bytes | None) -> None:
        self._db_for_partition(self._partition(key)).put(key, value)

    def _del(self, key: bytes) -> None:
        self._db_for_partition(self._partition(key)).delete(key)

    def write_acked(self, partition: int, changes: dict[str, bytes], offset: int) -> None:
        """Store values whose changelog records are acknowledged up to `offset`, atomically."""
        batch = rocksdict.WriteBatch(raw_mode=True)
        for key, value in changes.items():
            batch.put(key.encode(), value)
        batch.put(self.offset_key, str(offset).encode())
        self._db_for_partition(partition).write(batch)

    def partition_items(self, partition: int) -> Iterator[tuple[bytes, bytes]]:
        """The stored (key, value) pairs of one partition (a snapshot: writes may go on)."""
        db = self._dbs.get(partition)
        if db is not None:
            yield from self._visible_items(db)

    def estimates(self) -> tuple[int, int]:
        """Keys and live data bytes of the active partitions, as RocksDB estimates them (cheap)."""
        keys = size = 0
        for db in self._dbs_for_actives():
            keys += db.property_int_value("rocksdb.estimate-num-keys") or 0
            size += db.property_int_value("rocksdb.estimate-live-data-size") or 0
            size += db.property_int_value("rocksdb.cur-size-all-mem-tables") or 0
        return keys, size


def table_size(table: Any) -> tuple[int, int]:
    """Keys and value bytes of a table: RocksDB's estimates on disk (no scan), else counted."""
    if isinstance(table.data, KeyedRocksDBStore):
        return table.data.estimates()
    values = table.data.data.values()  # the memory store's dict: tests and small tables
    return len(values), sum(len(value) for value in values)


def partition_items(table: Any, partitions: set[int]) -> Iterator[tuple[int, str, bytes]]:
    """(partition, key, value) of the stored values of some partitions, reading only those."""
    data = table.data
    if isinstance(data, KeyedRocksDBStore):
        for partition in sorted(partitions):
            for key, value in data.partition_items(partition):
                yield partition, key.decode(), value
        return
    for key, value in list(data.data.items()):
        text = key if isinstance(key, str) else bytes(key).decode()
        partition = table.partition_of(text)
        if partition in partitions:
            yield partition, text, value


def reader(table: Any) -> Callable[[str], bytes | None]:
    """A table's raw lookup by key: the store itself, without Faust's mapping layers.

    `table.get(key)` asks the store whether it holds the key, then reads it (two lookups on
    disk) through three mapping classes; a batch reads each of its leads' four tables.
    """
    data = table.data
    if isinstance(data, KeyedRocksDBStore):
        get = data._get
        return lambda key: get(key.encode())
    return data.data.get  # type: ignore[no-any-return]  # the memory store's dict


def is_durable(table: Any) -> bool:
    """Whether a table keeps its values on disk (and so must not run ahead of its changelog)."""
    return isinstance(table.data, KeyedRocksDBStore)
