"""Run benchmarks by name: `python -m bench ingest`; no name runs them all."""

from __future__ import annotations

import importlib
import sys

# name → module with `main(argv: list[str]) -> int`; add a line to register another benchmark.
BENCHMARKS: dict[str, str] = {
    "ingest": "bench.ingest",
    "funnel": "bench.funnel",
    "scoring": "bench.scoring",
    "projector": "bench.projector",
    "risk": "bench.risk",
}


def main(argv: list[str]) -> int:
    """Dispatch `python -m bench [NAME [ARGS...]]`."""
    if argv and argv[0] in ("-h", "--help"):
        print(f"usage: python -m bench [{'|'.join(BENCHMARKS)}] [ARGS...]")
        return 0
    if argv and argv[0] not in BENCHMARKS:
        print(f"unknown benchmark {argv[0]!r}; known: {', '.join(BENCHMARKS)}", file=sys.stderr)
        return 2
    names, rest = (argv[:1], argv[1:]) if argv else (list(BENCHMARKS), [])
    status = 0
    for name in names:
        status |= importlib.import_module(BENCHMARKS[name]).main(rest)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
