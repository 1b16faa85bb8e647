"""Fixtures shared across the suite.

The shipped signature set is parsed once per session: it is frozen, so every test can share it
(tests that need their own set build it from YAML text or a temporary directory instead).
"""

from __future__ import annotations

import pytest

from scanner.match import SignatureSet, load_signatures


@pytest.fixture(scope="session")
def signatures() -> SignatureSet:
    """The shipped signatures (signatures/*.yaml)."""
    return load_signatures()
