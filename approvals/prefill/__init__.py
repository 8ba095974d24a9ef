"""Shared-data sources and the prefill engine.

A source is an adapter that reads what government already holds about a
:class:`Subject`: an existing enterprise (its credit code), or an enterprise
being established (its name reservation and the applicant establishing it).
The default sources read this project's own tables; a real deployment points
an adapter at the data-exchange service and lists it in
``settings.PREFILL_SOURCES``. A service names the sources it reads
(``Service.prefill_sources``); the engine asks those that can answer for the
subject, keeps the provenance of every value, and never lets a failing source
lose an application: the fields it would have filled are left for the
applicant.

- ``base``: the interface (Source, Subject, Fetched, FieldSpec, FieldKind);
- ``registry``: the configured sources and the fields they fill;
- ``engine``: reading a subject's sources (read_all).

The package imports no model (the catalogue's models check source names
against the registry); the default adapters, which read the models, live in
approvals.shared_data.
"""

from approvals.prefill.base import (
    Fetched,
    FieldKind,
    FieldSpec,
    Source,
    SourceUnavailable,
    Subject,
    SubjectKind,
)
from approvals.prefill.engine import SourceOutcome, read_all
from approvals.prefill.registry import field_specs, source_names, sources, sources_for

__all__ = [
    "Fetched",
    "FieldKind",
    "FieldSpec",
    "Source",
    "SourceOutcome",
    "SourceUnavailable",
    "Subject",
    "SubjectKind",
    "field_specs",
    "read_all",
    "source_names",
    "sources",
    "sources_for",
]
