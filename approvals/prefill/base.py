"""The prefill interface: what a shared-data source is, what it answers, about whom.

A source is an adapter that reads what government already holds about a
:class:`Subject`: an existing enterprise (its credit code), or an enterprise
being established (its name reservation and the applicant establishing it).
This module imports no model, so the catalogue's models may name sources.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal


class SourceUnavailable(Exception):
    """A source could not answer; the applicant fills its fields by hand."""


class FieldKind:
    """What a field holds, so that every value of a kind is checked the same way
    (approvals.services.values._validate_field_value) and gets the same input."""

    TEXT = "text"
    AMOUNT = "amount"  # 10,000 CNY, up to 4 decimal places
    INTEGER = "integer"  # a count: a whole number, zero or more
    DATE = "date"  # YYYY-MM-DD
    RESIDENT_ID = "resident_id"  # GB 11643


@dataclass(frozen=True)
class FieldSpec:
    key: str
    label: str
    required: bool = True
    # Personal data (a resident identity number): masked for roles that do
    # not need it, and every unmasked view by an official is audited.
    sensitive: bool = False
    kind: str = FieldKind.TEXT


@dataclass(frozen=True)
class Fetched:
    """What one source holds about one enterprise."""

    record_ref: str = ""
    values: dict[str, str] = field(default_factory=dict)
    # reuse key (as on Material.reuse_key) -> reference of the record reused
    documents: dict[str, str] = field(default_factory=dict)

    @property
    def found(self) -> bool:
        return bool(self.record_ref)


class SubjectKind:
    ENTERPRISE = "enterprise"  # an enterprise the registry holds: its credit code
    ESTABLISHMENT = "establishment"  # one being established: its name reservation


@dataclass(frozen=True)
class Subject:
    """Whom a prefill is about.

    An existing enterprise is named by its credit code. An enterprise being
    established has none yet: it is named by its name reservation number,
    and the applicant (whose verified identity names the legal
    representative) comes with it.
    """

    uscc: str = ""
    reservation_number: str = ""
    applicant: object = None

    @property
    def kind(self) -> str:
        return SubjectKind.ESTABLISHMENT if self.reservation_number else SubjectKind.ENTERPRISE

    def __str__(self) -> str:
        return self.uscc or f"reservation {self.reservation_number}"


class Source:
    """The interface every shared-data adapter implements."""

    name: str = ""
    label = ""
    fields: tuple[FieldSpec, ...] = ()
    # Sources that talk to another system run in a worker thread so the
    # engine can stop waiting for them; sources that read our own database
    # run inline (a thread would have its own connection and transaction).
    remote: bool = False
    # What the source can answer about (SubjectKind): most read by credit code.
    subjects: tuple[str, ...] = (SubjectKind.ENTERPRISE,)

    def fetch(self, uscc: str) -> Fetched:  # pragma: no cover - interface
        raise NotImplementedError

    def read(self, subject: Subject) -> Fetched:
        """What the engine calls; a source by credit code implements fetch() only."""
        return self.fetch(subject.uscc)


def as_text(value: object) -> str:
    """A value as every source writes it: decimals without trailing zeros, dates in ISO 8601."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)
