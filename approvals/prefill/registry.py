"""The registry: the sources this deployment configures, and what they can fill.

``settings.PREFILL_SOURCES`` lists the adapters by dotted path; they are
instantiated once (again when the setting changes, as tests do). A service
names the sources it reads (``Service.prefill_sources``), checked against
these names.
"""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.module_loading import import_string

from approvals.prefill.base import FieldSpec, Source, Subject


@cache
def _configured_sources() -> tuple[Source, ...]:
    return tuple(import_string(path)() for path in settings.PREFILL_SOURCES)


@receiver(setting_changed)
def _forget_sources(*, setting, **kwargs):
    if setting in ("PREFILL_SOURCES", "PREFILL_SOURCE_TIMEOUT_SECONDS"):
        _configured_sources.cache_clear()


def sources() -> tuple[Source, ...]:
    """The registry: every configured source, in order."""
    return _configured_sources()


def source_names() -> set[str]:
    return {src.name for src in sources()}


def field_specs() -> dict[str, tuple[FieldSpec, Source]]:
    """Every application field any source can fill, with the first source that fills it.

    Sources for different subjects may fill the same field (the enterprise's
    name comes from the registry, or for an establishment from the name
    reservation); the field means the same either way, so one spec serves.
    """
    specs: dict[str, tuple[FieldSpec, Source]] = {}
    for src in sources():
        for spec in src.fields:
            specs.setdefault(spec.key, (spec, src))
    return specs


def sources_for(subject: Subject, names=()) -> list[Source]:
    """The configured sources that answer about this kind of subject, limited to
    ``names`` (a service's ``prefill_sources``) unless that is empty."""
    wanted = set(names or ())
    return [
        src
        for src in sources()
        if subject.kind in src.subjects and (not wanted or src.name in wanted)
    ]
