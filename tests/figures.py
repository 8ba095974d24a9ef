"""Comparing two approval reports (``Report.as_dict()`` or the command's JSON) figure by figure."""

from __future__ import annotations

# Today's reports settle a figure the same way whatever order the database summed it in
# (approvals.reports.rows.rounded); a report written by older code (the migration test's)
# rounded the database's sum as it came, and may print a figure halfway between two shown
# values one unit in the sixth decimal the other way.
OLDER_CODE_TOLERANCE = 2e-6


def report_differences(before, after, path: str = "", *, tolerance: float = 0.0) -> list[str]:
    """Where two reports differ: one line per figure, named by its path in the report
    (floats further apart than `tolerance`)."""
    if isinstance(before, dict) and isinstance(after, dict):
        keys = sorted(set(before) | set(after))
        return [
            d
            for k in keys
            for d in report_differences(
                before.get(k), after.get(k), f"{path}.{k}", tolerance=tolerance
            )
        ]
    if isinstance(before, list) and isinstance(after, list):
        if len(before) != len(after):
            return [f"{path}: {len(before)} rows before, {len(after)} after"]
        return [
            d
            for i, (b, a) in enumerate(zip(before, after, strict=True))
            for d in report_differences(b, a, f"{path}[{i}]", tolerance=tolerance)
        ]
    if isinstance(before, float) or isinstance(after, float):
        if before is None or after is None or abs(before - after) > tolerance:
            return [f"{path}: {before!r} before, {after!r} after"]
        return []
    return [] if before == after else [f"{path}: {before!r} before, {after!r} after"]
