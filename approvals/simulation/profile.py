"""The simulation's profile: durations and probabilities, the defaults and a JSON file's
overrides, checked entry by entry."""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_PROFILE: dict = {
    # Mean calendar hours between two new applications (exponential gaps).
    "arrival_hours": 3.0,
    # Officials work these local hours on the official calendar's working days.
    "office_hours": [9, 17],
    # Investor completing the prefilled draft (calendar hours).
    "draft_hours": {"median": 1.0, "sigma": 0.8},
    # Window clerk's acceptance (working hours).
    "clerk_hours": {"median": 1.5, "sigma": 0.6},
    "correction_probability": 0.2,
    "max_corrections": 2,
    # Investor correcting a returned case (calendar hours).
    "correction_hours": {"median": 20.0, "sigma": 0.7},
    # Sequential routing only: from one department's decision to the
    # submission at the next (calendar hours).
    "resubmission_hours": {"median": 24.0, "sigma": 0.6},
    "departments": {
        # Any department not named below (working hours).
        "default": {
            "queue_hours": {"median": 2.0, "sigma": 0.8},
            "review_hours": {"median": 3.0, "sigma": 0.6},
            "reject_probability": 0.02,
            # With this probability the reviewer takes the task and then leaves it
            # lying: the review takes late_hours (working hours) instead, so its
            # SLA timer escalates and, at the end of a run with ``until``, the
            # review may still be open and overdue.
            "late_probability": 0.0,
            "late_hours": {"median": 60.0, "sigma": 0.4},
        },
        "market-regulation": {"review_hours": {"median": 4.0, "sigma": 0.6}},
        "commerce": {"review_hours": {"median": 2.0, "sigma": 0.5}},
        "public-security": {"review_hours": {"median": 1.5, "sigma": 0.5}},
        "tax": {"review_hours": {"median": 2.0, "sigma": 0.5}},
        "human-resources": {"review_hours": {"median": 2.0, "sigma": 0.5}},
        "development-reform": {"review_hours": {"median": 5.0, "sigma": 0.7}},
        "natural-resources": {"review_hours": {"median": 6.0, "sigma": 0.7}},
        "ecology-environment": {"review_hours": {"median": 4.0, "sigma": 0.7}},
    },
}


class ProfileError(ValueError):
    """The profile cannot be used; the message says which entry and why."""


# --- the profile --------------------------------------------------------------


@dataclass(frozen=True)
class Lognormal:
    """A duration in hours whose logarithm is normal: median exp(mu), spread sigma."""

    median: float
    sigma: float

    def sample(self, rng: random.Random) -> float:
        return rng.lognormvariate(math.log(self.median), self.sigma)


@dataclass(frozen=True)
class DepartmentProfile:
    queue_hours: Lognormal
    review_hours: Lognormal
    reject_probability: float
    late_probability: float = 0.0
    late_hours: Lognormal = Lognormal(60.0, 0.4)


@dataclass(frozen=True)
class Profile:
    arrival_hours: float
    office_hours: tuple[int, int]
    draft_hours: Lognormal
    clerk_hours: Lognormal
    correction_probability: float
    max_corrections: int
    correction_hours: Lognormal
    resubmission_hours: Lognormal
    departments: dict[str, DepartmentProfile] = field(default_factory=dict)

    def department(self, code: str) -> DepartmentProfile:
        return self.departments.get(code) or self.departments["default"]


def _merge(base: dict, override: dict, where: str) -> dict:
    merged = dict(base)
    for key, value in override.items():
        if key not in base and where != "departments":
            raise ProfileError(f"{where or 'profile'}: unknown entry {key!r}")
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            merged[key] = _merge(base[key], value, key if not where else f"{where}.{key}")
        else:
            merged[key] = value
    return merged


def _lognormal(data, where: str) -> Lognormal:
    if not isinstance(data, dict) or set(data) != {"median", "sigma"}:
        raise ProfileError(f"{where}: give {{'median': hours, 'sigma': spread}}")
    median, sigma = data["median"], data["sigma"]
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (median, sigma)):
        raise ProfileError(f"{where}: median and sigma must be numbers")
    if median <= 0 or sigma < 0 or sigma > 3:
        raise ProfileError(f"{where}: the median must be above 0 and sigma between 0 and 3")
    return Lognormal(float(median), float(sigma))


def _probability(value, where: str) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool) or not 0 <= value <= 1:
        raise ProfileError(f"{where}: a probability between 0 and 1")
    return float(value)


def build_profile(overrides: dict | None = None) -> Profile:
    """The default profile with `overrides` (the parsed JSON of --profile) applied."""
    if overrides is not None and not isinstance(overrides, dict):
        raise ProfileError("profile: the file must hold a JSON object")
    data = _merge(DEFAULT_PROFILE, overrides or {}, "")
    arrival = data["arrival_hours"]
    if not isinstance(arrival, int | float) or isinstance(arrival, bool) or arrival <= 0:
        raise ProfileError("arrival_hours: a number of hours above 0")
    office = data["office_hours"]
    if (
        not isinstance(office, list | tuple)
        or len(office) != 2
        or not all(isinstance(h, int) and not isinstance(h, bool) for h in office)
        or not 0 <= office[0] < office[1] <= 24
    ):
        raise ProfileError("office_hours: [opening hour, closing hour], e.g. [9, 17]")
    corrections = data["max_corrections"]
    if not isinstance(corrections, int) or isinstance(corrections, bool) or corrections < 0:
        raise ProfileError("max_corrections: a whole number, 0 or more")
    default = data["departments"]["default"]
    departments = {}
    for code, entry in data["departments"].items():
        where = f"departments.{code}"
        if not isinstance(entry, dict):
            raise ProfileError(f"{where}: an object")
        unknown = set(entry) - {
            "queue_hours",
            "review_hours",
            "reject_probability",
            "late_probability",
            "late_hours",
        }
        if unknown:
            raise ProfileError(f"{where}: unknown entry {sorted(unknown)[0]!r}")
        entry = {**default, **entry}
        departments[code] = DepartmentProfile(
            queue_hours=_lognormal(entry["queue_hours"], f"{where}.queue_hours"),
            review_hours=_lognormal(entry["review_hours"], f"{where}.review_hours"),
            reject_probability=_probability(
                entry["reject_probability"], f"{where}.reject_probability"
            ),
            late_probability=_probability(entry["late_probability"], f"{where}.late_probability"),
            late_hours=_lognormal(entry["late_hours"], f"{where}.late_hours"),
        )
    return Profile(
        arrival_hours=float(arrival),
        office_hours=(office[0], office[1]),
        draft_hours=_lognormal(data["draft_hours"], "draft_hours"),
        clerk_hours=_lognormal(data["clerk_hours"], "clerk_hours"),
        correction_probability=_probability(
            data["correction_probability"], "correction_probability"
        ),
        max_corrections=corrections,
        correction_hours=_lognormal(data["correction_hours"], "correction_hours"),
        resubmission_hours=_lognormal(data["resubmission_hours"], "resubmission_hours"),
        departments=departments,
    )


def load_profile(path: str | Path | None) -> Profile:
    """The profile of a JSON file (only the entries to change), or the defaults."""
    if path is None:
        return build_profile()
    try:
        overrides = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ProfileError(f"cannot read the profile {path}: {exc.strerror or exc}") from exc
    except json.JSONDecodeError as exc:
        raise ProfileError(f"the profile {path} is not valid JSON: {exc}") from exc
    return build_profile(overrides)
