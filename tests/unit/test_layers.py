"""The layout's rules, checked on the source: pure folders import no I/O, only pure modules.

Every package keeps its pure model in `model/` (plus `schemas/`, the contracts). A pure module
imports no Kafka, Faust, database, web, metrics or OS library, and from this project only other
pure modules, so purity holds transitively. Settings are read only by entry points (`__main__`
modules and the services' app factories) and each package's `wiring.py`, which maps them to the
package's plain config; no domain package imports the services layer otherwise.
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


DOMAIN_PACKAGES = ["scoring", "funnel", "alerts", "performance", "forecast", "runtime", "schemas"]
WIRING = {"__main__.py", "wiring.py"}  # entry points, and the one Settings → config mapping each
DOMAIN_FILES = sorted(p for pkg in DOMAIN_PACKAGES for p in (ROOT / pkg).rglob("*.py"))


def reads_services(path: Path) -> set[str]:
    return {n for n in imported(path) if n == "services" or n.startswith("services.")}


@pytest.mark.parametrize("path", DOMAIN_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_only_entry_points_and_wiring_import_the_services_layer(path: Path) -> None:
    if path.name not in WIRING:
        assert reads_services(path) == set()


def test_the_wiring_check_itself_catches_settings_in_an_adapter(tmp_path: Path) -> None:
    bad = tmp_path / "runner.py"
    bad.write_text("from services.settings import Settings\n", encoding="utf-8")
    assert reads_services(bad) == {"services.settings", "services.settings.Settings"}
    assert len(DOMAIN_FILES) > 100


TEST_LAYERS = ("unit", "integration", "e2e")
TEST_FILES = sorted(p for layer in TEST_LAYERS for p in (ROOT / "tests" / layer).rglob("*.py"))


def other_layers(path: Path, own: str | None = None) -> set[str]:
    """The test-layer modules `path` imports from a layer other than its own."""
    own = own or path.relative_to(ROOT / "tests").parts[0]
    return {
        name
        for name in imported(path)
        if name.split(".")[0] == "tests"
        and len(name.split(".")) > 1
        and name.split(".")[1] in TEST_LAYERS
        and name.split(".")[1] != own
    }


@pytest.mark.parametrize("path", TEST_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_a_test_imports_helpers_from_its_own_layer_or_tests_support(path: Path) -> None:
    assert other_layers(path) == set()


def test_the_test_layer_check_itself_catches_a_crossing(tmp_path: Path) -> None:
    crossing = tmp_path / "test_x.py"
    crossing.write_text(
        "from tests.integration.scoring_fixtures import OutputReader\n"
        "from tests.support.kafka import read_topic\nfrom tests.e2e.conftest import ROOT\n",
        encoding="utf-8",
    )
    found = other_layers(crossing, own="e2e")
    assert found == {
        "tests.integration.scoring_fixtures",
        "tests.integration.scoring_fixtures.OutputReader",
    }
    assert len(TEST_FILES) > 100
