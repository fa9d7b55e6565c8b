"""Shared fixtures: bundled real data, and the large files in ../shared when present."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import crimestats as cs

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
TEST_DATA = Path(__file__).resolve().parent / "data"


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
