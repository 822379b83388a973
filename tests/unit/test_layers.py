"""The layout's rules, checked on the source: pure folders import no I/O, only pure modules.

Every package keeps its pure model in `model/` (plus `schemas/`, the contracts). A pure module
imports no Kafka, Faust, database, web, metrics or OS library, and from this project only other
pure modules, so purity holds transitively. Settings are read only by entry points (`__main__`
modules and the services' app factories), which hand plain config values down.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PURE_FOLDERS = [
    "scoring/model", "funnel/model", "alerts/model", "performance/model", "forecast/model",
    "schemas",
]  # fmt: skip
FORBIDDEN = {
    "faust", "mode", "aiokafka", "kafka", "asyncpg", "psycopg", "fastapi", "starlette", "uvicorn",
    "prometheus_client", "httpx", "aiohttp", "tenacity", "yoyo", "os", "socket", "subprocess",
    "asyncio", "signal",
}  # fmt: skip
PROJECT = {"scoring", "funnel", "alerts", "performance", "forecast", "schemas", "services"}
PROJECT |= {"runtime", "demo", "bench"}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def is_pure(module: str) -> bool:
    return any(module == f.replace("/", ".") or module.startswith(f.replace("/", ".") + ".")
               for f in PURE_FOLDERS)  # fmt: skip


def is_module(name: str) -> bool:
    path = ROOT / name.replace(".", "/")
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


PURE_FILES = sorted(p for folder in PURE_FOLDERS for p in (ROOT / folder).rglob("*.py"))


def test_every_package_has_a_pure_model_folder_the_test_covers() -> None:
    assert len(PURE_FILES) > 60
    for folder in PURE_FOLDERS:
        assert (ROOT / folder / "__init__.py").is_file(), folder


@pytest.mark.parametrize("path", PURE_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_a_pure_module_imports_no_io_and_only_pure_project_modules(path: Path) -> None:
    names = imported(path)
    assert {n.split(".")[0] for n in names} & FORBIDDEN == set()
    project = {n for n in names if n.split(".")[0] in PROJECT and is_module(n)}
    assert {n for n in project if not is_pure(n)} == set()


def test_the_pure_check_itself_catches_an_adapter_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from scoring.worker import codec\nimport asyncpg\n", encoding="utf-8")
    names = imported(bad)
    assert {n.split(".")[0] for n in names} & FORBIDDEN == {"asyncpg"}
    assert not is_pure("scoring.worker.codec") and is_pure("scoring.model.rules")
