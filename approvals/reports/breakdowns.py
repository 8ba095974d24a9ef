"""From the aggregates to the report's rows: one Row per group, per breakdown.

``approvals.reports.figures`` runs the queries; this module turns their
totals into figures (means, shares, the comparison with the benchmark, the
investor's steps against the baseline) and orders each breakdown: services
and departments by code, months in order, steps in the order of the flow.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from approvals.models import StepKind
from approvals.reports.percentiles import Key
from approvals.reports.rows import Row


@dataclass(frozen=True)
class Yardstick:
    """The benchmark every duration is read against, in days."""

    target: float
    baseline: float


def _share(part, whole) -> float | None:
    return part / whole if whole else None


def _mean(total, count) -> float | None:
    return total / count if count and total is not None else None


def _against(yardstick: Yardstick, median: float | None) -> dict:
    return {
        "median_vs_baseline": None if median is None else 1 - median / yardstick.baseline,
        "median_vs_target": None if median is None else median - yardstick.target,
    }


def application_row(
    yardstick: Yardstick, table: str, key: str, label: str, t: dict, pct: dict
) -> Row:
    n = int(t.get("applications", 0))
    days = pct.get("days_pct", (None, None))
    working = pct.get("working_days_pct", (None, None))
    held_total = t.get("government_days", 0) + t.get("investor_days", 0)
    # See STEPS_DEFINITION: visits and corrections plus hand-ins, against
    # one trip per department plus every required material.
    investor_steps = t.get("investor_steps", 0) + t.get("materials_handed_in", 0)
    baseline_steps = t.get("baseline_trips", 0) + t.get("materials_required", 0)

    def count(name: str) -> int | None:
        return int(t.get(name, 0)) if n else None

    return Row(
        table=table,
        key=key,
        label=label,
        applications=n,
        median_days=days[0],
        p90_days=days[1],
        mean_days=_mean(t.get("days"), n),
        median_working_days=working[0],
        p90_working_days=working[1],
        mean_working_days=_mean(t.get("working_days"), n),
        within_target=_share(t.get("within_target", 0), n),
        within_baseline=_share(t.get("within_baseline", 0), n),
        **_against(yardstick, days[0]),
        government_days=_mean(t.get("government_days", 0), n),
        investor_days=_mean(t.get("investor_days", 0), n),
        government_working_days=_mean(t.get("government_working_days", 0), n),
        investor_working_days=_mean(t.get("investor_working_days", 0), n),
        government_share=_share(t.get("government_days", 0), held_total),
        investor_steps=_mean(investor_steps, n),
        government_steps=_mean(t.get("government_steps", 0), n),
        legacy_steps=_mean(baseline_steps, n),
        steps_avoided=1 - investor_steps / baseline_steps if baseline_steps else None,
        materials_required=count("materials_required"),
        materials_reused=count("materials_reused"),
        materials_avoided=_share(t.get("materials_reused", 0), t.get("materials_required", 0)),
        statutory_compliance=_share(t.get("compliant", 0), n),
        escalations=count("escalations"),
        deferred_overdue=count("deferred_overdue"),
        deferred_late=count("deferred_late"),
    )


def step_row(
    yardstick: Yardstick, table: str, key: str, label: str, t: dict, escalations=None
) -> Row:
    n = t["steps"]
    days = t.get("days_pct", (None, None))
    working = t.get("working_days_pct", (None, None))
    return Row(
        table=table,
        key=key,
        label=label,
        applications=t["applications"],
        steps=n,
        median_days=days[0],
        p90_days=days[1],
        mean_days=_mean(t["days"], n),
        median_working_days=working[0],
        p90_working_days=working[1],
        mean_working_days=_mean(t["working_days"], n),
        within_target=_share(t["within_target"], n),
        within_baseline=_share(t["within_baseline"], n),
        **_against(yardstick, days[0]),
        escalations=escalations,
    )


def service_rows(
    yardstick: Yardstick, totals: dict[Key, dict], pct: dict[Key, dict], catalogue: dict
) -> list[Row]:
    return [
        application_row(
            yardstick,
            "service",
            catalogue[service_id].code,
            catalogue[service_id].name,
            figures,
            pct.get((service_id,), {}),
        )
        for (service_id,), figures in sorted(
            totals.items(), key=lambda item: catalogue[item[0][0]].code
        )
    ]


def month_rows(yardstick: Yardstick, totals: dict[Key, dict], pct: dict[Key, dict]) -> list[Row]:
    return [
        application_row(
            yardstick, "month", f"{month:%Y-%m}", f"{month:%Y-%m}", figures, pct.get((month,), {})
        )
        for (month,), figures in sorted(totals.items())
    ]


def department_rows(
    yardstick: Yardstick, reviews: dict[Key, dict], escalations: dict[Key, dict], names: dict
) -> list[Row]:
    escalations_of = {key[0]: row["n"] for key, row in escalations.items()}
    return [
        step_row(
            yardstick,
            "department",
            names[department_id].code,
            names[department_id].name,
            figures,
            escalations=escalations_of.get(department_id, 0),
        )
        for (department_id,), figures in sorted(
            reviews.items(), key=lambda item: names[item[0][0]].code
        )
    ]


def matter_rows(yardstick: Yardstick, reviews: dict[Key, dict], names: dict) -> list[Row]:
    """One row per matter: its reviews' figures, beside the department's (a department
    with two matters in one application counts each on its own)."""
    return [
        step_row(yardstick, "matter", names[matter_id].code, names[matter_id].name, figures)
        for (matter_id,), figures in sorted(
            reviews.items(), key=lambda item: names[item[0][0]].code
        )
        if matter_id is not None
    ]


def step_rows(yardstick: Yardstick, kinds: dict[Key, dict]) -> list[Row]:
    order = {kind: i for i, kind in enumerate(StepKind.values)}
    return [
        step_row(yardstick, "step", kind, str(StepKind(kind).label), figures)
        for (kind,), figures in sorted(kinds.items(), key=lambda item: order[item[0][0]])
    ]


def slowest(step_rows: list[Row], department_rows: list[Row]) -> Row | None:
    """The step kind, or the department for reviews, with the highest median days."""
    candidates = [r for r in step_rows if r.key != StepKind.REVIEW] + [
        replace(r, label=f"{StepKind.REVIEW.label}: {r.label}") for r in department_rows
    ]
    candidates = [r for r in candidates if r.median_days is not None]
    if not candidates:
        return None
    return max(candidates, key=lambda r: (r.median_days, r.median_working_days or 0))
