"""Shared-data sources and the prefill engine.

A source is an adapter that reads what government already holds about an
enterprise. The default sources read this project's own tables; a real
deployment points an adapter at the data-exchange service and lists it in
``settings.PREFILL_SOURCES``. The engine asks every source, keeps the
provenance of every value, and never lets a failing source lose an
application: the fields it would have filled are left for the applicant.
"""

from __future__ import annotations

import concurrent.futures
import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import cache

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)


class SourceUnavailable(Exception):
    """A source could not answer; the applicant fills its fields by hand."""


class FieldKind:
    """What a field holds, so that every value of a kind is checked the same way
    (approvals.services._validate_field_value) and gets the same input."""

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


class Source:
    """The interface every shared-data adapter implements."""

    name: str = ""
    label = ""
    fields: tuple[FieldSpec, ...] = ()
    # Sources that talk to another system run in a worker thread so the
    # engine can stop waiting for them; sources that read our own database
    # run inline (a thread would have its own connection and transaction).
    remote: bool = False

    def fetch(self, uscc: str) -> Fetched:  # pragma: no cover - interface
        raise NotImplementedError


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


class EnterpriseRegistrySource(Source):
    name = "enterprise_registry"
    label = _("Enterprise registry (market regulation)")
    fields = (
        FieldSpec("enterprise.name_zh", _("Enterprise name (Chinese)")),
        FieldSpec("enterprise.name_en", _("Enterprise name (English)"), required=False),
        FieldSpec("enterprise.type", _("Enterprise type")),
        FieldSpec("enterprise.legal_representative", _("Legal representative")),
        FieldSpec(
            "enterprise.legal_representative_id",
            _("Legal representative's identity number"),
            required=False,
            sensitive=True,
            kind=FieldKind.RESIDENT_ID,
        ),
        FieldSpec(
            "enterprise.registered_capital",
            _("Registered capital (10,000 CNY)"),
            kind=FieldKind.AMOUNT,
        ),
        FieldSpec("enterprise.address", _("Address")),
        FieldSpec("enterprise.business_scope", _("Business scope")),
        FieldSpec(
            "enterprise.established_on", _("Established on"), required=False, kind=FieldKind.DATE
        ),
    )

    def fetch(self, uscc: str) -> Fetched:
        from approvals.models import Enterprise

        e = Enterprise.objects.filter(uscc=uscc).first()
        if e is None:
            return Fetched()
        return Fetched(
            record_ref=f"enterprise:{e.uscc}",
            values={
                "enterprise.name_zh": e.name_zh,
                "enterprise.name_en": e.name_en,
                "enterprise.type": e.enterprise_type,
                "enterprise.legal_representative": e.legal_representative,
                "enterprise.legal_representative_id": e.legal_representative_id,
                "enterprise.registered_capital": _text(e.registered_capital),
                "enterprise.address": e.address,
                "enterprise.business_scope": e.business_scope,
                "enterprise.established_on": _text(e.established_on),
            },
            documents={"enterprise_registry": e.uscc},
        )


class TaxRegistrationSource(Source):
    name = "tax_registration"
    label = _("Tax registration (tax bureau)")
    fields = (
        FieldSpec("tax.taxpayer_type", _("Taxpayer type"), required=False),
        FieldSpec("tax.tax_authority", _("Tax authority"), required=False),
    )

    def fetch(self, uscc: str) -> Fetched:
        from approvals.models import TaxRegistration

        t = TaxRegistration.objects.filter(enterprise__uscc=uscc).first()
        if t is None:
            return Fetched()
        return Fetched(
            record_ref=f"tax:{t.pk}",
            values={"tax.taxpayer_type": t.taxpayer_type, "tax.tax_authority": t.tax_authority},
            documents={"tax_registration": f"tax:{t.pk}"},
        )


class SocialSecuritySource(Source):
    name = "social_security"
    label = _("Social-security registration (human resources)")
    fields = (
        FieldSpec("social_security.account_number", _("Social-security account"), required=False),
        FieldSpec(
            "social_security.insured_employees",
            _("Insured employees"),
            required=False,
            kind=FieldKind.INTEGER,
        ),
    )

    def fetch(self, uscc: str) -> Fetched:
        from approvals.models import SocialSecurityRegistration

        s = SocialSecurityRegistration.objects.filter(enterprise__uscc=uscc).first()
        if s is None:
            return Fetched()
        return Fetched(
            record_ref=f"social_security:{s.account_number}",
            values={
                "social_security.account_number": s.account_number,
                "social_security.insured_employees": _text(s.insured_employees),
            },
            documents={"social_security": s.account_number},
        )


class InvestmentProjectSource(Source):
    name = "investment_project"
    label = _("Investment projects (development and reform)")
    fields = (
        FieldSpec("project.code", _("Investment project code"), required=False),
        FieldSpec("project.name", _("Investment project name"), required=False),
        FieldSpec(
            "project.total_investment",
            _("Total investment (10,000 CNY)"),
            required=False,
            kind=FieldKind.AMOUNT,
        ),
    )

    def fetch(self, uscc: str) -> Fetched:
        from approvals.models import InvestmentProject

        p = InvestmentProject.objects.filter(enterprise__uscc=uscc).order_by("-filed_on").first()
        if p is None:
            return Fetched()
        return Fetched(
            record_ref=f"project:{p.project_code}",
            values={
                "project.code": p.project_code,
                "project.name": p.name,
                "project.total_investment": _text(p.total_investment),
            },
            documents={"investment_project": p.project_code},
        )


class LicenceLibrarySource(Source):
    """The electronic licence library: licences already issued are not asked for again."""

    name = "licence_library"
    label = _("Electronic licence library")
    fields = ()

    def fetch(self, uscc: str) -> Fetched:
        from approvals.models import Licence, LicenceStatus

        today = timezone.localdate()
        licences = (
            Licence.objects.filter(holder__uscc=uscc, status=LicenceStatus.VALID)
            .exclude(valid_until__lt=today)
            .order_by("licence_type", "-issued_on")
            .values_list("licence_type", "number")
        )
        documents: dict[str, str] = {}
        for licence_type, number in licences:
            documents.setdefault(f"licence:{licence_type}", number)
        return Fetched(
            record_ref=f"licences:{uscc}" if documents else "",
            documents=documents,
        )


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


def field_specs() -> dict[str, tuple[FieldSpec, Source]]:
    """Every application field any source can fill, with the source that fills it."""
    return {spec.key: (spec, src) for src in sources() for spec in src.fields}


@dataclass
class SourceOutcome:
    source: Source
    fetched: Fetched | None
    read_at: datetime | None
    error: str = ""


def _fetch_remote(src: Source, uscc: str, timeout: float) -> Fetched:
    # A fresh single-use executor: a hung source must not block the next
    # application's prefill by occupying a shared worker.
    executor = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    try:
        return executor.submit(src.fetch, uscc).result(timeout=timeout)
    except concurrent.futures.TimeoutError as exc:
        raise SourceUnavailable(_("did not answer within %(s)s seconds") % {"s": timeout}) from exc
    finally:
        executor.shutdown(wait=False, cancel_futures=True)


def read_all(uscc: str) -> list[SourceOutcome]:
    """Ask every source about an enterprise; a failing source is reported, never raised."""
    timeout = settings.PREFILL_SOURCE_TIMEOUT_SECONDS
    outcomes = []
    for src in sources():
        try:
            fetched = _fetch_remote(src, uscc, timeout) if src.remote else src.fetch(uscc)
        except Exception as exc:  # any adapter failure leaves the fields to the applicant
            logger.warning("prefill source %s failed for %s: %s", src.name, uscc, exc)
            outcomes.append(
                SourceOutcome(src, None, None, error=str(exc)[:300] or type(exc).__name__)
            )
            continue
        outcomes.append(SourceOutcome(src, fetched, timezone.now()))
    return outcomes
