"""Shared fixtures: bundled real data, and the large files in ../shared when present."""

from __future__ import annotations

import ast
import os
import shutil
import tempfile
from pathlib import Path

import pandas as pd
import pytest

import crimestats as cs

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
TEST_DATA = Path(__file__).resolve().parent / "data"


def pytest_configure(config: pytest.Config) -> None:
    """Derived tables (:mod:`crimestats.cache`) go to a folder of this run's own, never the user's cache."""
    from crimestats.cache import CACHE_ENV

    config._crimestats_cache = tempfile.mkdtemp(prefix="crimestats-cache-")
    os.environ[CACHE_ENV] = config._crimestats_cache


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(getattr(config, "_crimestats_cache", ""), ignore_errors=True)


def source_literals() -> list[tuple[str, int, str]]:
    """Every string literal in ``src/crimestats`` code as (path under the package, line, text).

    Docstrings and the descriptions of ``Category(...)`` entries are prose, not definitions, and are
    left out; so is package data (``data/``), which is where facts are meant to be written.
    """
    package = REPO / "src" / "crimestats"
    found = []
    for path in sorted(package.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        prose = set()
        for node in ast.walk(tree):
            body = getattr(node, "body", None)
            if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
                prose.add(id(body[0].value))
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Category" and len(node.args) > 4:
                prose.add(id(node.args[4]))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in prose:
                found.append((path.relative_to(package).as_posix(), node.lineno, node.value))
    return found


def store_state(root: Path) -> tuple[bytes, list[Path]]:
    """A store's manifest bytes and the files under it: what a failed refresh must leave as it was."""
    return (root / "manifest.json").read_bytes(), sorted(p.relative_to(root) for p in root.rglob("*") if p.is_file())


def shared_path(*parts: str) -> Path:
    """A path under ../shared/data, skipping the test when the shared folder is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared data not available: ../shared/data/{'/'.join(parts)}")
    return path


@pytest.fixture(scope="session")
def home_office_pfa() -> pd.DataFrame:
    return cs.read_home_office(cs.datasets.path("home-office-pfa-2017-18"))


@pytest.fixture(scope="session")
def scenario_csp() -> pd.DataFrame:
    return cs.read_home_office(cs.datasets.path("scenario-csp"))


@pytest.fixture(scope="session")
def ons_p1() -> pd.DataFrame:
    return cs.read_ons_pfa(cs.datasets.path("ons-pfa-2018"), "P1")


@pytest.fixture(scope="session")
def ons_p5() -> pd.DataFrame:
    return cs.read_ons_pfa(cs.datasets.path("ons-pfa-2018"), "P5")


@pytest.fixture(scope="session")
def scenario_extract() -> pd.DataFrame:
    """The 439,787-row scenario extract as counts, read once per test session (it takes seconds).

    Shared by every test that needs it: treat it as read-only.
    """
    return cs.read_extract(cs.datasets.path("scenario-extract"), cs.datasets.path("scenario-extract-mapping"))
