"""Checks on what a model sends back (placeholder until the full verifier lands)."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class LoopCheck:
    text: str
    looped: bool


_UNIT = re.compile(r"[^。！？.!?\n]+[。！？.!?\n]*")


def strip_loops(text: str) -> LoopCheck:
    """``text`` cut at the third repeat of a sentence (a model caught in a loop)."""
    seen: dict[str, int] = {}
    out = []
    for match in _UNIT.finditer(text):
        unit = match.group().strip()
        if len(unit) < 8:
            out.append(match.group())
            continue
        seen[unit] = seen.get(unit, 0) + 1
        if seen[unit] >= 2:
            return LoopCheck("".join(out).strip(), True)
        out.append(match.group())
    return LoopCheck(text, False)
