"""The scoring core stays pure: no Kafka, Faust, database, web or metrics imports."""

from __future__ import annotations

import ast
from pathlib import Path

SCORING = Path(__file__).parents[2] / "scoring"
PURE_MODULES = [
    "bounds", "clock", "conditions", "criteria", "engine", "explain", "identity", "ledger", "rule",
    "merging", "nurture", "rules", "state", "transitions",
]  # fmt: skip
FORBIDDEN = {"faust", "mode", "aiokafka", "kafka", "asyncpg", "fastapi", "prometheus_client", "os"}


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_scoring_core_imports_no_io_libraries() -> None:
    offenders = {
        name: sorted(imported_roots(SCORING / f"{name}.py") & FORBIDDEN) for name in PURE_MODULES
    }
    assert {name: bad for name, bad in offenders.items() if bad} == {}
