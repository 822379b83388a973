"""How `scoring/worker/state-v2.zdict`, the zstd dictionary of the leads table's format 2, was made.

`python -m bench.state_dictionary` folds seeded random leads with the default rules (1 to 40
events each of the kinds those rules score, event ids as UUIDs or 32 hex digits, some leads merged
with another, some swept weeks later), trains an 8 kB dictionary on their msgpack and prints the
mean value size with the shipped dictionary and with the new one. `--write` replaces the file:
only ever before format 2 is released, since values already written need the bytes they were
compressed with (a better dictionary is a new format, scoring/worker/codec.py).
"""

from __future__ import annotations

import argparse
import random
import statistics
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import zstandard

from schemas.events import Event, parse_event
from schemas.outgoing import LeadsMerged
from scoring.model.engine import apply, merge, sweep
from scoring.model.identity import lead_id_for
from scoring.model.rules import RuleSet, default_rules
from scoring.model.state import LeadState, new_lead
from scoring.worker import codec

SIZE = 8192
START = datetime(2026, 1, 5, 9, tzinfo=UTC)
KINDS: list[tuple[str, dict[str, Any] | None]] = [
    ("page_viewed", {"url": "https://x.cn/products/a", "dwell_seconds": 75}),
    ("page_viewed", {"url": "https://x.cn/pricing", "dwell_seconds": 20}),
    ("page_viewed", {"url": "https://x.cn/blog/how-to", "dwell_seconds": 140}),
    ("page_viewed", {"url": "https://x.cn/", "dwell_seconds": 5}),
    ("email_opened", None),
    ("email_clicked", {"url": "https://x.cn/webinar"}),
    ("video_watched", {"video_id": "v1", "percent": 70, "seconds": 200}),
    ("asset_downloaded", {"asset_id": "wp", "asset_kind": "whitepaper"}),
    ("asset_downloaded", {"asset_id": "cs", "asset_kind": "case_study"}),
    ("form_submitted", {"form_id": "contact"}),
    ("demo_requested", None),
    ("wechat_subscribed", {"scene": "expo"}),
    ("ad_clicked", {"platform": "baidu"}),
]


def _event(rng: random.Random, visitor: str, at: datetime) -> Event:
    kind, properties = rng.choice(KINDS)
    ident = uuid.UUID(int=rng.getrandbits(128), version=4)
    data: dict[str, Any] = {
        "event_id": str(ident) if rng.random() < 0.5 else ident.hex,
        "type": kind,
        "channel": "website",
        "occurred_at": at.isoformat(),
        "received_at": at.isoformat(),
        "source": "dictionary",
        "identities": {"anonymous_id": visitor},
    }
    if properties is not None:
        data["properties"] = properties
    return parse_event(data)


def _lead(rng: random.Random, rules: RuleSet) -> LeadState:
    visitor, at = f"visitor-{rng.getrandbits(64):016x}", START + timedelta(days=rng.randrange(300))
    state = new_lead(lead_id_for(f"anon:{visitor}", at))
    for _ in range(rng.randint(1, 40)):
        at += timedelta(minutes=rng.expovariate(1 / 600))
        state, _ = apply(state, _event(rng, visitor, at), rules)
    return state


def samples(count: int, seed: int = 2) -> list[LeadState]:
    """`count` seeded random states as the fold makes them (the training and the test set)."""
    rng, rules = random.Random(seed), default_rules()
    states = []
    for n in range(count):
        state = _lead(rng, rules)
        if rng.random() < 0.1:  # merged with another lead
            other = _lead(rng, rules)
            survivor, merged = sorted((state, other), key=lambda s: s.lead_id)
            at = START + timedelta(days=320)
            link = LeadsMerged(
                merge_id=f"mrg_{n}",
                surviving_lead_id=survivor.lead_id,
                merged_lead_id=merged.lead_id,
                linking_identities=["email:x"],
                trigger_event_id="e",
                occurred_at=at,
            )
            state, _ = merge(survivor, merged, rules, link)
        if rng.random() < 0.2:  # decayed by a sweep weeks after its last event
            state, _ = sweep(state, START + timedelta(days=330 + rng.randrange(60)), rules)
        states.append(state)
    return states


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.state_dictionary", description=__doc__)
    parser.add_argument("--write", action="store_true", help=f"replace {codec.DICTIONARY_PATH}")
    args = parser.parse_args(argv)
    encoder = msgspec.msgpack.Encoder()
    train: list[bytes | bytearray | memoryview] = [encoder.encode(s) for s in samples(3000)]
    test = [encoder.encode(state) for state in samples(1000, seed=3)]
    trained = zstandard.train_dictionary(SIZE, train, level=codec.LEVEL)
    shipped = codec.DICTIONARY_PATH.read_bytes()
    for name, data in (("shipped", shipped), ("new", trained.as_bytes())):
        compress = zstandard.ZstdCompressor(
            level=codec.LEVEL, dict_data=zstandard.ZstdCompressionDict(data), write_dict_id=False
        ).compress
        sizes = [len(compress(value)) + 2 for value in test]
        print(f"{name} dictionary: mean {statistics.mean(sizes):,.0f} bytes per lead value")
    if args.write:
        codec.DICTIONARY_PATH.write_bytes(trained.as_bytes())
        print(f"wrote {codec.DICTIONARY_PATH}")
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))
