"""Steps of an application's life, driven through the services as a person would."""

from approvals import models as m
from approvals import services
from tests.factories import pdf_upload


def draft(world, *, enterprise=None, applicant=None):
    return services.application_create(
        applicant=applicant or world.investor,
        service=world.service,
        uscc=(enterprise or world.enterprise).uscc,
    )


def complete(world, app, *, applicant=None):
    """Hand in what prefill could not reuse: upload, commit, defer."""
    actor = applicant or world.investor
    missing = app.materials.filter(satisfied_by=m.SatisfiedBy.MISSING).select_related("material")
    for row in missing:
        material = row.material
        if material.allow_deferral:
            services.material_defer(actor=actor, application=app, material_code=material.code)
        elif material.allow_commitment:
            services.material_commit(
                actor=actor,
                application=app,
                material_code=material.code,
                text="本企业承诺所填住所真实有效 / We commit that the address is real.",
            )
        else:
            services.material_upload(
                actor=actor, application=app, material_code=material.code, upload=pdf_upload()
            )
    blanks = {v.field: "由申请人填写 / filled by hand" for v in app.values.filter(value="")}
    if blanks:
        for key in list(blanks):
            if key.endswith(("registered_capital", "total_investment")):
                blanks[key] = "500"
            elif key.endswith("established_on"):
                blanks[key] = "2020-01-01"
        services.application_values_update(actor=actor, application=app, values=blanks)
    return app


def submitted(world, **kwargs):
    app = complete(world, draft(world, **kwargs))
    return services.application_submit(actor=app.applicant, application=app)


def review_of(app, department_code):
    return m.DepartmentReview.objects.get(application=app, department__code=department_code)


def approve_all(world, app):
    for review in app.reviews.select_related("department"):
        services.review_complete(
            actor=world.reviewers[review.department.code], review=review, approve=True
        )
    app.refresh_from_db()
    return app
