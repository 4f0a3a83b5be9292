"""The A/B benchmark's verdict: a paired difference and its bootstrap interval."""

from __future__ import annotations

import pytest

from bench.ab import paired_difference


def test_a_clear_change_is_told_apart_from_noise() -> None:
    base = [3.25, 3.08, 3.26, 3.25, 3.13, 3.14, 3.00, 2.98]
    faster = [b - 0.30 + (0.02 if i % 2 else -0.02) for i, b in enumerate(base)]
    diff = paired_difference(base, faster)
    assert diff.mean == pytest.approx(-0.30)
    assert diff.low < diff.mean < diff.high < 0


def test_noise_alone_shows_no_difference() -> None:
    base = [3.25, 3.08, 3.26, 3.25, 3.13, 3.14, 3.00, 2.98]
    same = [3.19, 3.00, 3.15, 3.09, 3.21, 3.34, 3.03, 2.98]
    diff = paired_difference(base, same)
    assert diff.low < 0 < diff.high


def test_the_sides_must_pair() -> None:
    with pytest.raises(ValueError):
        paired_difference([1.0], [1.0, 2.0])
    with pytest.raises(ValueError):
        paired_difference([], [])
