"""Fixtures for the deployment checks."""

from __future__ import annotations

import pytest

from tests.deploy.metricnames import exposed_series_names


@pytest.fixture(scope="session")
def series_names() -> set[str]:
    return exposed_series_names()
