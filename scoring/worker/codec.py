"""The `leads` table value: `LeadState` as msgpack, compressed with zstd and a fixed dictionary.

Format: one marker byte, then the body. `0x02` (format 2, what this code writes) is followed by a
byte that says whether the lead was merged away (1) or not (0), so the sweep index can be seeded
without decoding, then one zstd frame of the state's msgpack (msgspec's own layout, a map of the
fields, so a field added with a default reads from older values), compressed with the dictionary
`state-v2.zdict` beside this file. Both steps run in C: the hand-packed format 1 took 27-86 µs to
write and 28-71 µs to read a lead of 1-20 events in Python, format 2 takes 10-25 and 7-22, at
much the same size (docs/benchmarks.md). `0x01` is format 1 (scoring/worker/codec_v1.py) and
`{` a JSON document (`scoring.model.state.to_json`, what the table held before any codec): both
are still read.

The dictionary is part of format 2: a value can only be read with the bytes it was written with,
so a better dictionary is a new marker byte, never a new `state-v2.zdict`
(`python -m bench.state_dictionary` shows how it was trained). A decoded value equals the encoded
state (`==`, and the same `to_json` bytes).
"""

from __future__ import annotations

import threading
from pathlib import Path

import msgspec
import zstandard

from scoring.model.state import LeadState, from_json
from scoring.worker.codec_v1 import decode_v1

FORMAT_V2 = 0x02
LEVEL = 3  # zstd's default: at 20 events ~3 % smaller than level 1 for ~4 µs more
DICTIONARY_PATH = Path(__file__).with_name("state-v2.zdict")
_DICTIONARY = zstandard.ZstdCompressionDict(DICTIONARY_PATH.read_bytes())
_DICTIONARY.precompute_compress(level=LEVEL)
_ENCODER = msgspec.msgpack.Encoder()
_DECODER = msgspec.msgpack.Decoder(LeadState)
# A frame says how large it unpacks; a lead is a few kB (`max_seen_events` bounds it), so a value
# claiming more is not one of ours and is refused before anything is allocated for it.
MAX_STATE_BYTES = 16 * 2**20


class StateFormatError(ValueError):
    """A table value in no format this code knows (a newer writer, or not a lead state)."""


class _Zstd(threading.local):
    """zstd's compressors keep a context and are not thread safe: one pair per thread."""

    def __init__(self) -> None:
        self.compress = zstandard.ZstdCompressor(
            level=LEVEL, dict_data=_DICTIONARY, write_checksum=False, write_dict_id=False
        ).compress
        self.decompress = zstandard.ZstdDecompressor(dict_data=_DICTIONARY).decompress


_zstd = _Zstd()


def encode(state: LeadState) -> bytes:
    """The table value of a state (format 2)."""
    header = b"\x02\x01" if state.merged_into is not None else b"\x02\x00"
    return header + _zstd.compress(_ENCODER.encode(state))


def is_merged(data: bytes) -> bool:
    """Whether a table value is a merged-away lead's tombstone, without decoding it."""
    if data[:1] in (b"\x02", b"\x01"):
        return data[1:2] != b"\x00"
    return b'"merged_into":null' not in data


def decode(data: bytes) -> LeadState:
    """A state from any table value this code or an older one wrote."""
    marker = data[:1]
    try:
        if marker == b"\x02":
            frame = memoryview(data)[2:]
            size = zstandard.frame_content_size(frame)
            if not 0 <= size <= MAX_STATE_BYTES:  # -1: a frame that does not say
                raise ValueError(f"a frame of {size} bytes")  # made a StateFormatError below
            return _DECODER.decode(_zstd.decompress(frame))
        if marker == b"\x01":
            return decode_v1(memoryview(data)[2:])
        if marker == b"{":
            return from_json(data)
    except (ValueError, zstandard.ZstdError) as error:  # msgspec's errors are ValueErrors
        raise StateFormatError(f"not a lead state: {error}") from error
    raise StateFormatError(f"unknown lead state format (first byte {marker!r})")
