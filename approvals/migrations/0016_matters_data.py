"""Each service becomes a thing of matters, and every application, review, step and permit
is moved onto its matters.

- A service of one department becomes one matter, with the service's permit as
  its outcome, code and names.
- A service of several departments gets a matter per department. A
  department that also runs a service of its own (seal filing, tax
  registration) brings that matter: it is the same act. Otherwise the matter
  is new, named after the service and the department, and gives a record
  as its outcome. The service's permit is the outcome of its first
  department's matter (the catalogue's order: registration first).
- Every application gets a matter for each review it has (state from the
  review's decision), or, before acceptance, one for each matter of its
  thing. Review steps, reviews and the permit point to their matter.

Nothing that reports count changes: the same rows, with a matter beside them.
"""

from django.db import migrations

REVIEW_TO_STATE = {"approved": "approved", "rejected": "refused", "pending": "in_review"}


def forwards(apps, schema_editor):
    Service = apps.get_model("approvals", "Service")
    ServiceDepartment = apps.get_model("approvals", "ServiceDepartment")
    Matter = apps.get_model("approvals", "Matter")
    ThingMatter = apps.get_model("approvals", "ThingMatter")
    Material = apps.get_model("approvals", "Material")
    Application = apps.get_model("approvals", "Application")
    ApplicationMatter = apps.get_model("approvals", "ApplicationMatter")
    DepartmentReview = apps.get_model("approvals", "DepartmentReview")
    Step = apps.get_model("approvals", "Step")
    Permit = apps.get_model("approvals", "Permit")

    parts_of = {}
    for part in ServiceDepartment.objects.select_related("department").order_by("pk"):
        parts_of.setdefault(part.service_id, []).append(part)
    services = {s.pk: s for s in Service.objects.all()}

    def outcome_of(service):
        return {
            "outcome_kind": "licence",
            "outcome_name_zh": service.permit_name_zh,
            "outcome_name_en": service.permit_name_en,
            "outcome_licence_type": service.permit_licence_type,
            "outcome_valid_years": service.permit_valid_years,
        }

    def limits(service, part):
        return {
            "statutory_limit_days": service.statutory_limit_days,
            "promised_limit_days": part.review_limit_days,
            "review_limit_days": part.review_limit_days,
        }

    # (service id, department id) -> matter; single-department services first,
    # so a several-department service reuses their matters.
    matter_of = {}
    own_matter = {}  # department id -> the matter of its own one-department service
    for service_id, parts in sorted(parts_of.items(), key=lambda kv: (len(kv[1]), kv[0])):
        service = services[service_id]
        for index, part in enumerate(parts):
            department = part.department
            if len(parts) == 1:
                matter = Matter.objects.create(
                    code=service.code,
                    department=department,
                    name_zh=service.name_zh,
                    name_en=service.name_en,
                    establishes_enterprise=service.establishes_enterprise,
                    **outcome_of(service),
                    **limits(service, part),
                )
                own_matter.setdefault(department.pk, matter)
            elif index == 0:
                matter = Matter.objects.create(
                    code=f"{service.code}-{department.code}"[:60],
                    department=department,
                    name_zh=f"{service.name_zh}（{department.name_zh}）"[:200],
                    name_en=f"{service.name_en} ({department.name_en})"[:200],
                    establishes_enterprise=service.establishes_enterprise,
                    **outcome_of(service),
                    **limits(service, part),
                )
            elif department.pk in own_matter:
                matter = own_matter[department.pk]
            else:
                matter = Matter.objects.create(
                    code=f"{service.code}-{department.code}"[:60],
                    department=department,
                    name_zh=f"{service.name_zh}（{department.name_zh}）"[:200],
                    name_en=f"{service.name_en} ({department.name_en})"[:200],
                    outcome_kind="record",
                    outcome_name_zh=f"{department.name_zh}办理回执"[:200],
                    outcome_name_en=f"Receipt of {department.name_en}"[:200],
                    outcome_licence_type=f"{service.code}-{department.code}"[:60],
                    **limits(service, part),
                )
            matter_of[(service_id, department.pk)] = matter
            ThingMatter.objects.create(service=service, matter=matter, order=index)

    for material in Material.objects.exclude(department__isnull=True):
        matter = matter_of.get((material.service_id, material.department_id))
        if matter is not None:
            material.matters.add(matter)

    # The applications: one matter per review, or per matter of the thing before acceptance.
    reviews_of = {}
    for review in DepartmentReview.objects.order_by("pk"):
        reviews_of.setdefault(review.application_id, []).append(review)
    review_steps = {
        (step.application_id, step.department_id): step
        for step in Step.objects.filter(kind="review", department__isnull=False)
    }
    new = []
    for application in Application.objects.order_by("pk").iterator():
        parts = parts_of.get(application.service_id, [])
        order = {part.department_id: i for i, part in enumerate(parts)}
        reviews = reviews_of.get(application.pk)
        if reviews:
            for review in reviews:
                matter = matter_of.get((application.service_id, review.department_id))
                if matter is None:  # a department no longer in the service
                    continue
                state = REVIEW_TO_STATE[review.decision]
                if state == "in_review" and application.status == "withdrawn":
                    state = "withdrawn"
                step = review_steps.get((application.pk, review.department_id))
                new.append(
                    ApplicationMatter(
                        application_id=application.pk,
                        matter=matter,
                        order=order.get(review.department_id, 0),
                        state=state,
                        started_at=step.created_at if step else None,
                        decided_at=review.decided_at,
                        working_days=step.working_days if step and review.decided_at else None,
                    )
                )
        else:
            state = "withdrawn" if application.status == "withdrawn" else "pending"
            for part in parts:
                new.append(
                    ApplicationMatter(
                        application_id=application.pk,
                        matter=matter_of[(application.service_id, part.department_id)],
                        order=order[part.department_id],
                        state=state,
                    )
                )
    ApplicationMatter.objects.bulk_create(new, batch_size=500)

    by_department = {
        (am.application_id, am.matter.department_id): am
        for am in ApplicationMatter.objects.select_related("matter")
    }
    reviews = list(DepartmentReview.objects.all())
    for review in reviews:
        review.matter = by_department.get((review.application_id, review.department_id))
    DepartmentReview.objects.bulk_update(reviews, ["matter"], batch_size=500)
    steps = list(Step.objects.filter(kind="review", department__isnull=False))
    for step in steps:
        step.matter = by_department.get((step.application_id, step.department_id))
    Step.objects.bulk_update(steps, ["matter"], batch_size=500)

    # The permit is the outcome of the first department's matter of its service.
    permits = list(Permit.objects.select_related("application"))
    for permit in permits:
        parts = parts_of.get(permit.application.service_id)
        if parts:
            permit.matter = by_department.get((permit.application_id, parts[0].department_id))
    Permit.objects.bulk_update(permits, ["matter"], batch_size=500)
    permit_steps = list(Step.objects.filter(kind="permit").select_related("application"))
    outcome_of_application = {p.application_id: p.matter_id for p in permits}
    for step in permit_steps:
        step.matter_id = outcome_of_application.get(step.application_id)
    Step.objects.bulk_update(permit_steps, ["matter"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("approvals", "0015_matters"),
    ]

    operations = [
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
