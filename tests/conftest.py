"""Shared fixtures: repository paths and a scratch output root."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"


def have_apertium() -> bool:
    return shutil.which("apertium") is not None and Path("/usr/share/apertium/modes/spa-eng.mode").exists()


needs_apertium = pytest.mark.skipif(not have_apertium(), reason="Debian's apertium-eng-spa is not installed "
                                    "(scripts/setup.sh installs it)")


@pytest.fixture
def seeds_dir() -> Path:
    return SEEDS


def matches_expected(result, expected: str) -> bool:
    """Scoring of repair cases: ``expected`` is the repaired text, or ``"FLAGGED"`` when the right outcome
    is a review flag (the text itself then must not have been rewritten)."""
    if expected == "FLAGGED":
        return bool(result.flagged) and result.text == result.before
    return result.text == expected
