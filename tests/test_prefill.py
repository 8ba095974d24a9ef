"""Prefill: provenance, corrections, and sources that fail or hang."""

import threading

import pytest
from django.core.exceptions import ValidationError

from approvals import models as m
from approvals import prefill, services
from approvals.prefill import Fetched
from approvals.shared_data import EnterpriseRegistrySource
from tests import journey

DEFAULT_SOURCES = [
    "approvals.shared_data.EnterpriseRegistrySource",
    "approvals.shared_data.TaxRegistrationSource",
    "approvals.shared_data.SocialSecuritySource",
    "approvals.shared_data.InvestmentProjectSource",
    "approvals.shared_data.LicenceLibrarySource",
]


class BrokenRegistry(EnterpriseRegistrySource):
    """The registry's data-exchange service is down."""

    def fetch(self, uscc):
        raise ConnectionError("data exchange refused the connection")


release_hang = threading.Event()


class HangingRegistry(EnterpriseRegistrySource):
    """A remote registry that never answers (until the test lets it go)."""

    remote = True

    def fetch(self, uscc):
        release_hang.wait(timeout=30)
        return Fetched()


def with_registry(settings, path):
    settings.PREFILL_SOURCES = [f"tests.test_prefill.{path}", *DEFAULT_SOURCES[1:]]


@pytest.mark.django_db
def test_every_value_keeps_its_source_record_and_time(world):
    app = journey.draft(world)
    rows = {v.field: v for v in app.values.all()}
    # A service that names no sources reads every source about an enterprise.
    enterprise_sources = prefill.sources_for(prefill.Subject(uscc=app.uscc))
    assert set(rows) == {spec.key for src in enterprise_sources for spec in src.fields}
    legal = rows["enterprise.legal_representative"]
    assert legal.source == "enterprise_registry"
    assert legal.value == world.enterprise.legal_representative
    assert rows["tax.tax_authority"].record_ref.startswith("tax:")
    # No social-security record is held for this enterprise: left to the applicant.
    assert rows["social_security.account_number"].state == m.ValueState.NOT_FOUND
    assert not any(v.corrected for v in rows.values())


@pytest.mark.django_db
def test_a_correction_is_kept_beside_the_value_the_government_holds(world):
    app = journey.draft(world)
    services.application_values_update(
        actor=world.investor, application=app, values={"enterprise.registered_capital": "1,200.50"}
    )
    capital = app.values.get(field="enterprise.registered_capital")
    assert capital.value == "1200.50"
    assert capital.corrected
    assert capital.confirmed_at is not None
    assert capital.source_value == "500"


@pytest.mark.django_db
def test_a_broken_source_loses_nothing_and_its_fields_are_filled_by_hand(world, settings):
    with_registry(settings, "BrokenRegistry")
    app = journey.draft(world)
    name = app.values.get(field="enterprise.name_zh")
    assert name.state == m.ValueState.UNAVAILABLE
    assert "refused" in name.source_error
    assert name.value == ""
    # The tax source still answered, and its material was still reused.
    assert app.materials.get(material__code="tax-info").satisfied_by == m.SatisfiedBy.REUSE
    registry = app.materials.get(material__code="registry")
    assert registry.satisfied_by == m.SatisfiedBy.MISSING
    with pytest.raises(ValidationError) as err:
        services.application_submit(actor=world.investor, application=app)
    assert "enterprise.name_zh" in err.value.message_dict
    journey.complete(world, app)
    app = services.application_submit(actor=world.investor, application=app)
    assert app.status == m.ApplicationStatus.SUBMITTED


@pytest.mark.django_db
def test_a_source_that_hangs_is_cut_off_and_reported(world, settings):
    settings.PREFILL_SOURCE_TIMEOUT_SECONDS = 0.2
    with_registry(settings, "HangingRegistry")
    release_hang.clear()
    try:
        app = journey.draft(world)
    finally:
        release_hang.set()
    name = app.values.get(field="enterprise.name_zh")
    assert name.state == m.ValueState.UNAVAILABLE
    assert "did not answer" in name.source_error
    assert m.Application.objects.filter(pk=app.pk).exists()


@pytest.mark.django_db
def test_prefill_again_after_an_outage_fills_what_was_missing_and_keeps_what_was_typed(
    world, settings
):
    with_registry(settings, "BrokenRegistry")
    app = journey.draft(world)
    services.application_values_update(
        actor=world.investor, application=app, values={"enterprise.address": "手填地址 / typed"}
    )
    settings.PREFILL_SOURCES = DEFAULT_SOURCES
    services.application_prefill(application=app)
    name = app.values.get(field="enterprise.name_zh")
    assert (name.state, name.value) == (m.ValueState.PREFILLED, world.enterprise.name_zh)
    address = app.values.get(field="enterprise.address")
    assert address.value == "手填地址 / typed"
    assert address.corrected  # typed while the source was down, differs from the record
    registry = app.materials.get(material__code="registry")
    assert registry.satisfied_by == m.SatisfiedBy.REUSE


# An enterprise the registry does not hold is established, not applied for: see
# tests/test_establishment.py (a new code is assigned at registration).


@pytest.mark.django_db
def test_licences_that_are_revoked_or_expired_are_not_reused(world):
    for number, status, until in (
        ("L-REVOKED", m.LicenceStatus.REVOKED, None),
        ("L-EXPIRED", m.LicenceStatus.VALID, "2020-01-01"),
    ):
        m.Licence.objects.create(
            number=number,
            licence_type="food-licence",
            name_zh="食品经营许可证",
            holder=world.enterprise,
            issuer="市场监督管理局",
            issued_on="2019-01-01",
            valid_until=until,
            status=status,
        )
    app = journey.draft(world)
    assert app.materials.get(material__code="prior-licence").satisfied_by == m.SatisfiedBy.MISSING
    m.Licence.objects.create(
        number="L-GOOD",
        licence_type="food-licence",
        name_zh="食品经营许可证",
        holder=world.enterprise,
        issuer="市场监督管理局",
        issued_on="2024-01-01",
    )
    services.application_prefill(application=app)
    row = app.materials.get(material__code="prior-licence")
    assert (row.satisfied_by, row.reuse_reference) == (m.SatisfiedBy.REUSE, "L-GOOD")
