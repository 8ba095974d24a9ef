"""Comparing two approval reports (``Report.as_dict()`` or the command's JSON) figure by figure."""

from __future__ import annotations

# PostgreSQL sums a mean's floats in the order it reads the rows, and that order follows
# the plan and the rows' places on disk, not only the data: two batches of the same
# figures, or one batch before and after an update, may differ in the last bits. The
# reports round to six decimals; a difference above that is a different figure.
FLOAT_TOLERANCE = 2e-6


def report_differences(before, after, path: str = "") -> list[str]:
    """Where two reports differ: one line per figure, named by its path in the report."""
    if isinstance(before, dict) and isinstance(after, dict):
        keys = sorted(set(before) | set(after))
        return [
            d for k in keys for d in report_differences(before.get(k), after.get(k), f"{path}.{k}")
        ]
    if isinstance(before, list) and isinstance(after, list):
        if len(before) != len(after):
            return [f"{path}: {len(before)} rows before, {len(after)} after"]
        return [
            d
            for i, (b, a) in enumerate(zip(before, after, strict=True))
            for d in report_differences(b, a, f"{path}[{i}]")
        ]
    if isinstance(before, float) or isinstance(after, float):
        if before is None or after is None or abs(before - after) > FLOAT_TOLERANCE:
            return [f"{path}: {before!r} before, {after!r} after"]
        return []
    return [] if before == after else [f"{path}: {before!r} before, {after!r} after"]
