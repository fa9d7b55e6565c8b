"""Findings of the scenario CSP table (quarterly Home Office layout), computed once per session."""

from __future__ import annotations

import pytest

from crimestats.snapshot import Findings, compute_findings


@pytest.fixture(scope="session")
def csp_findings(scenario_csp) -> Findings:
    return compute_findings(scenario_csp, area="Wolverhampton", year="2017/18", peers="West Midlands")
