"""The guide's one rule: which matters and materials an application needs, and why.

``decide(service, answers, picked)`` reads the thing's matters and its one set
of materials, applies the rules on the guide's answers, and says for each
matter and material what brought it in: always part of the thing, the answer
that met a rule, or the investor's own pick. Drafts, pages and the API all
call it, so one rule decides everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, prefetch_related_objects
from django.utils.translation import gettext as _

from approvals.models import (
    Determinant,
    DeterminantKind,
    Material,
    Matter,
    Service,
    ThingMatter,
)


@dataclass(frozen=True)
class Why:
    """What brought a matter or a material in."""

    always: bool = False
    picked: bool = False
    rule: str = ""  # "Floor area — is above 300 m²"
    answer: str = ""  # "450 m²"

    def text(self) -> str:
        if self.picked:
            return _("You chose it.")
        if self.always:
            return _("Always part of this service.")
        return _("Because you answered %(answer)s to: %(rule)s") % {
            "answer": self.answer,
            "rule": self.rule,
        }


@dataclass(frozen=True)
class DecidedMatter:
    matter: Matter
    order: int
    why: Why


@dataclass(frozen=True)
class DecidedMaterial:
    material: Material
    why: Why
    for_matters: tuple[Matter, ...]


@dataclass
class Decision:
    matters: list[DecidedMatter] = field(default_factory=list)
    materials: list[DecidedMaterial] = field(default_factory=list)
    # Matters of the thing that do not apply, with the rule that left them out.
    left_out: list[DecidedMatter] = field(default_factory=list)

    @property
    def matter_codes(self) -> list[str]:
        return [d.matter.code for d in self.matters]

    @property
    def material_codes(self) -> list[str]:
        return [d.material.code for d in self.materials]


def service_for_guide(service: Service) -> Service:
    """The thing with what ``decide`` reads prefetched: three queries, however many matters."""
    prefetch_related_objects(
        [service],
        Prefetch(
            "thing_matters",
            queryset=ThingMatter.objects.select_related(
                "matter__department", "determinant"
            ).order_by("order", "matter__code"),
        ),
        Prefetch(
            "materials",
            queryset=Material.objects.select_related("determinant").prefetch_related("matters"),
        ),
    )
    return service


def determinants_of(service: Service) -> list[Determinant]:
    """The questions the thing's rules ask, in the guide's order, each once."""
    found = {}
    for part in service.thing_matters.all():
        if part.determinant_id:
            found[part.determinant_id] = part.determinant
    for material in service.materials.all():
        if material.determinant_id:
            found[material.determinant_id] = material.determinant
    return sorted(found.values(), key=lambda d: (d.order, d.code))


def clean_answers(determinants: Iterable[Determinant], given: dict) -> dict:
    """The answers kept as the rules read them; a clear error for each one that cannot be."""
    answers, errors = {}, {}
    for det in determinants:
        raw = given.get(det.code)
        if raw is None or raw == "":
            continue
        if det.kind == DeterminantKind.YES_NO:
            value = {"yes": "yes", "no": "no", True: "yes", False: "no"}.get(
                raw.strip().lower() if isinstance(raw, str) else raw
            )
            if value is None:
                errors[det.code] = _("Answer yes or no.")
                continue
        elif det.kind == DeterminantKind.CHOICE:
            value = str(raw)
            if value not in det.choice_values():
                errors[det.code] = _("Choose one of the answers offered.")
                continue
        else:
            try:
                number = float(str(raw).strip())
            except ValueError:
                errors[det.code] = _("Give a number, e.g. 120.")
                continue
            if number < 0 or number != number or number == float("inf"):
                errors[det.code] = _("Give a number of zero or more.")
                continue
            value = int(number) if number.is_integer() else number
        answers[det.code] = value
    if errors:
        raise ValidationError(errors)
    return answers


def _why(rule, answers: dict) -> Why:
    if rule.always:
        return Why(always=True)
    det = rule.determinant
    return Why(rule=rule.rule_text(), answer=det.label_of(answers.get(det.code)))


def decide(service: Service, answers: dict, picked: Iterable[str] | None = None) -> Decision:
    """The matters and materials for these answers; `picked` (matter codes) chooses directly.

    Picking replaces the rules for matters (the investor may apply for one
    matter alone); materials still follow their own rules. A material with no
    matters named serves every matter of the thing.
    """
    picked = None if picked is None else set(picked)
    decision = Decision()
    for part in service.thing_matters.all():
        if not part.matter.is_active:
            continue
        if picked is not None:
            applies, why = part.matter.code in picked, Why(picked=True)
        else:
            applies, why = part.holds(answers), _why(part, answers)
        entry = DecidedMatter(part.matter, part.order, why)
        (decision.matters if applies else decision.left_out).append(entry)
    if picked is not None:
        unknown = picked - {d.matter.code for d in decision.matters}
        if unknown:
            raise ValidationError(
                _("This service has no matter %(codes)s.") % {"codes": ", ".join(sorted(unknown))}
            )
    chosen = {d.matter.pk: d.matter for d in decision.matters}
    for material in service.materials.all():
        serves = [m for m in material.matters.all() if m.pk in chosen] or (
            [] if material.matters.all() else list(chosen.values())
        )
        if serves and material.holds(answers):
            decision.materials.append(
                DecidedMaterial(material, _why(material, answers), tuple(serves))
            )
    return decision
