"""Inclusive integer intervals (address and port ranges): the small arithmetic every layer
that speaks in ranges shares."""

from __future__ import annotations

from collections.abc import Iterable

Interval = tuple[int, int]


def merge(ranges: Iterable[Interval]) -> list[Interval]:
    """Sorted, with overlapping and adjacent intervals joined."""
    merged: list[Interval] = []
    for lo, hi in sorted(ranges):
        if merged and lo <= merged[-1][1] + 1:
            if hi > merged[-1][1]:
                merged[-1] = (merged[-1][0], hi)
        else:
            merged.append((lo, hi))
    return merged


def subtract(ranges: Iterable[Interval], holes: Iterable[Interval]) -> list[Interval]:
    """The parts of ``ranges`` outside every hole."""
    holes = list(holes)
    result: list[Interval] = []
    for lo, hi in ranges:
        pieces = [(lo, hi)]
        for h_lo, h_hi in holes:
            pieces = [piece for a, b in pieces for piece in
                      ((a, min(b, h_lo - 1)), (max(a, h_hi + 1), b)) if piece[0] <= piece[1]]
        result.extend(pieces)
    return result


def complement(ranges: Iterable[Interval], top: int) -> list[Interval]:
    """The intervals of [0, top] that ``ranges`` (sorted, merged) leave out."""
    result, at = [], 0
    for lo, hi in ranges:
        if lo > at:
            result.append((at, lo - 1))
        at = max(at, hi + 1)
    if at <= top:
        result.append((at, top))
    return result
