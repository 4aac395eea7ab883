"""Percentile summaries of latencies, in milliseconds, computed the same way for every figure.

One function for the webhook, the in-process parse floor and the baseline, so that a ratio between two of
them compares like with like (numpy's default linear interpolation between the closest ranks).
"""

from __future__ import annotations

import numpy as np


def summary_ms(seconds: list[float]) -> dict[str, float | int | None]:
    """count, p50, p95, p99, mean and max in ms; None for every figure when there is no sample."""
    if not seconds:
        return {"count": 0, "p50": None, "p95": None, "p99": None, "mean": None, "max": None}
    values = np.asarray(seconds, dtype=float) * 1000.0
    p50, p95, p99 = np.percentile(values, [50, 95, 99])
    return {
        "count": int(values.size),
        "p50": round(float(p50), 2),
        "p95": round(float(p95), 2),
        "p99": round(float(p99), 2),
        "mean": round(float(values.mean()), 2),
        "max": round(float(values.max()), 2),
    }
