"""Shared test fixtures: where the reference corpus is (beside the checkout, in ../shared)."""

from __future__ import annotations

from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"


@pytest.fixture(scope="session")
def corpus_live() -> Path:
    """The real Azure REST samples (``../shared/corpus/live``); skips when absent."""
    live = CORPUS / "live"
    if not live.is_dir():
        pytest.skip(f"reference corpus not found at {live} (expected beside the checkout)")
    return live


# Property tests run with a fixed seed in CI, so a red build is reproducible.
from hypothesis import settings

settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if __import__("os").environ.get("CI") else "dev")
