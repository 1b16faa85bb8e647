"""Report tests run in one fixed time zone, so local times in the reports are reproducible."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

# POSIX TZ syntax: a zone named CAM two hours east of UTC (the sign is inverted in POSIX).
FIXED_TZ = "CAM-2"


@pytest.fixture(autouse=True)
def fixed_time_zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", FIXED_TZ)
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()
