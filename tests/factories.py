"""Factories for the tests: small, explicit objects instead of the demo fixtures."""

import contextlib
import itertools
from datetime import date, timedelta

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from approvals import models as m
from approvals import roles
from approvals.identifiers import resident_id_check_character, uscc_check_character

_uscc_seq = itertools.count(1)


def new_uscc() -> str:
    body = f"91460100MA{next(_uscc_seq):07d}"
    return body + uscc_check_character(body)


def resident_id(body17: str = "46010019850615123") -> str:
    return body17 + resident_id_check_character(body17)


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Department
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"dept-{n}")
    name_zh = factory.LazyAttribute(lambda o: f"部门{o.code}")
    name_en = factory.LazyAttribute(lambda o: f"Department {o.code}")
    reviewer_group = factory.LazyAttribute(
        lambda o: Group.objects.get_or_create(name=f"reviewer:{o.code}")[0]
    )


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Service

    code = factory.Sequence(lambda n: f"service-{n}")
    name_zh = factory.Sequence(lambda n: f"服务{n}")
    name_en = factory.Sequence(lambda n: f"Service {n}")
    statutory_limit_days = 20
    promised_limit_days = 2
    legacy_steps = 10


class MatterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Matter

    code = factory.Sequence(lambda n: f"matter-{n}")
    department = factory.SubFactory(DepartmentFactory)
    name_zh = factory.LazyAttribute(lambda o: f"事项{o.code}")
    name_en = factory.LazyAttribute(lambda o: f"Matter {o.code}")
    outcome_name_zh = "许可证"
    outcome_name_en = "Permit"
    outcome_licence_type = factory.Sequence(lambda n: f"permit-type-{n}")
    review_limit_days = 1
    promised_limit_days = 1


def thing_part(service, department, *, order=None, requires=(), **matter_fields):
    """Give `service` a matter decided by `department`; returns the matter."""
    matter_fields.setdefault("code", f"{service.code}-{department.code}")
    matter = MatterFactory(department=department, **matter_fields)
    if requires:
        matter.requires.set(requires)
    if order is None:
        order = m.ThingMatter.objects.filter(service=service).count()
    m.ThingMatter.objects.create(service=service, matter=matter, order=order)
    return matter


class MaterialFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Material

    code = factory.Sequence(lambda n: f"material-{n}")
    name_zh = factory.LazyAttribute(lambda o: f"材料{o.code}")
    name_en = factory.LazyAttribute(lambda o: f"Material {o.code}")
    legal_basis_zh = factory.LazyAttribute(lambda o: f"《测试条例》第一条（{o.code}）")
    legal_basis_en = factory.LazyAttribute(lambda o: f"Test Regulation, art. 1 ({o.code})")


class EnterpriseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Enterprise

    uscc = factory.LazyFunction(new_uscc)
    name_zh = factory.Sequence(lambda n: f"海南测试{n}有限公司")
    name_en = factory.Sequence(lambda n: f"Hainan Test {n} Co., Ltd.")
    enterprise_type = "有限责任公司(外商投资、非独资)"
    legal_representative = "王海"
    legal_representative_id = factory.LazyFunction(resident_id)
    registered_capital = 500
    address = "海南省海口市龙华区滨海大道1号"
    business_scope = "货物进出口；技术进出口"
    established_on = factory.Faker("date_between", start_date="-10y", end_date="-1y")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.test")
    password = factory.PostGenerationMethodCall("set_password", "pw-for-tests-only")

    @factory.post_generation
    def groups(self, create, extracted, **kwargs):
        for name in extracted or ():
            self.groups.add(Group.objects.get_or_create(name=name)[0])
        self.save()


def role_groups() -> None:
    """The role groups with the permissions the services check (approvals.roles)."""
    roles.ensure_role_groups()


def verified(
    user,
    *,
    name: str = "王海",
    number: str | None = None,
    document_type: str = "resident_id",
    nationality: str = "CHN",
):
    """Give `user` a verified identity (by default the factories' legal representative's:
    EnterpriseFactory's enterprises all name that resident identity number)."""
    m.Identity.objects.update_or_create(
        user=user,
        defaults={
            "name": name,
            "document_type": document_type,
            "document_number": number or resident_id(),
            "nationality": nationality,
            "status": m.IdentityStatus.VERIFIED,
            "source": "tests",
            "verified_at": timezone.now(),
        },
    )
    with contextlib.suppress(AttributeError):
        del user.identity  # drop a cached "no identity" or an older one
    return user


_stranger_seq = itertools.count(1)


def stranger_id() -> str:
    """A valid resident identity number no factory enterprise names."""
    n = next(_stranger_seq)
    born = date(1990, 1, 1) + timedelta(days=n // 1000)  # 1,000 numbers a birth date
    return resident_id(f"460100{born:%Y%m%d}{n % 1000:03d}")


def mandate(
    enterprise, services, *, user=None, agency=None, by, days: int = 365, **fields
) -> "m.Mandate":
    """A mandate in force from `enterprise` for `services`, granted by `by` (its legal
    representative) in the portal."""
    now = timezone.now()
    made = m.Mandate.objects.create(
        enterprise=enterprise,
        grantee_user=user,
        grantee_agency=agency,
        valid_from=fields.pop("valid_from", now - timedelta(days=1)),
        valid_until=fields.pop("valid_until", now + timedelta(days=days)),
        granted_by=by,
        **fields,
    )
    made.services.set(services if isinstance(services, list | tuple) else [services])
    return made


def pdf_upload(name: str = "scan.pdf", size: int = 2048) -> SimpleUploadedFile:
    body = b"%PDF-1.4\n" + b"0" * max(0, size - 9)
    return SimpleUploadedFile(name, body, content_type="application/pdf")
