"""The lock files hold exactly the versions pyproject.toml pins, each with its hashes."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==([^\s;]+)")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(requirements: list[str]) -> dict[str, str]:
    found = {}
    for requirement in requirements:
        match = PIN.match(requirement)
        if match:
            found[canonical(match.group(1))] = match.group(2)
    return found


def locked(path: Path) -> dict[str, str]:
    """name → version of every package in a `uv pip compile --generate-hashes` lock file."""
    text = path.read_text()
    entries = re.findall(
        r"^([A-Za-z0-9_.\-]+)==(\S+) \\\n((?:\s+--hash=sha256:[0-9a-f]{64}.*\n)+)", text, re.M
    )
    names = re.findall(r"^([A-Za-z0-9_.\-]+)==", text, re.M)
    assert len(entries) == len(names), f"{path.name}: a package without hashes"
    return {canonical(name): version for name, version, _ in entries}


PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
RUNTIME = pins(PROJECT["dependencies"])
DEV = {**RUNTIME, **pins(PROJECT["optional-dependencies"]["dev"])}


@pytest.mark.parametrize(
    ("lock", "wanted"), [("requirements.lock", RUNTIME), ("requirements-dev.lock", DEV)]
)
def test_each_lock_has_the_pinned_versions_with_hashes(lock: str, wanted: dict[str, str]) -> None:
    versions = locked(ROOT / lock)
    drifted = {
        name: (version, versions.get(name))
        for name, version in wanted.items()
        if versions.get(name) != version
    }
    assert not drifted, f"{lock} is out of date with pyproject.toml (run `make lock`): {drifted}"


def test_the_runtime_lock_carries_no_test_tools() -> None:
    runtime = locked(ROOT / "requirements.lock")
    assert not {"pytest", "hypothesis", "ruff", "mypy", "selenium"} & set(runtime)
    assert {"faust-streaming", "aiokafka"} <= set(runtime)
