"""Percentiles and the merging of what the workers measured."""

from __future__ import annotations

import array
import math
from collections import Counter
from collections.abc import Iterable
from typing import Any


def percentile(sorted_values: list[float], q: float) -> float:
    """The nearest-rank percentile (q in 0..100) of an already sorted list."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def latency_summary(chunks: Iterable[bytes], typecode: str = "q", scale: float = 1e-3) -> dict[str, Any]:
    """p50/p90/p99/max in ms of the values packed in ``chunks`` (µs by default)."""
    values = array.array(typecode)
    for chunk in chunks:
        values.frombytes(chunk)
    ordered = sorted(values)
    if not ordered:
        return {"count": 0, "p50_ms": None, "p90_ms": None, "p99_ms": None, "max_ms": None}
    return {
        "count": len(ordered),
        "p50_ms": round(percentile(ordered, 50) * scale, 2),
        "p90_ms": round(percentile(ordered, 90) * scale, 2),
        "p99_ms": round(percentile(ordered, 99) * scale, 2),
        "max_ms": round(ordered[-1] * scale, 2),
    }


def merge_counts(dicts: Iterable[dict[Any, int]]) -> dict[Any, int]:
    total: Counter[Any] = Counter()
    for item in dicts:
        total.update(item)
    return dict(total)
