"""Steps of an application's life, driven through the services as a person would."""

from approvals import demo, services
from approvals import models as m
from approvals.demo import hand_in_missing
from tests.factories import new_uscc


def draft(world, *, enterprise=None, applicant=None, matters=None):
    """A draft of the world's service; `matters` (codes) applies for those matters alone."""
    return services.application_create(
        applicant=applicant or world.investor,
        service=world.service,
        uscc=(enterprise or world.enterprise).uscc,
        matters=matters,
    )


def unregistered_draft(world, *, applicant=None, service=None, uscc=None):
    """A draft for an enterprise the registry does not hold yet, as an establishment's
    is: its founder's, prefilled again with nothing from the registry, so its values
    are typed by hand. (Opened for the world's enterprise first, which the services
    allow the world's investor, then moved to a new code.)"""
    app = services.application_create(
        applicant=applicant or world.investor,
        service=service or world.service,
        uscc=world.enterprise.uscc,
    )
    m.Application.objects.filter(pk=app.pk).update(
        uscc=uscc or new_uscc(), enterprise=None, acting_as=m.ActingAs.FOUNDER, mandate=None
    )
    app.materials.filter(satisfied_by=m.SatisfiedBy.REUSE).update(
        satisfied_by=m.SatisfiedBy.MISSING, reuse_reference=""
    )
    app.refresh_from_db()
    services.application_prefill(application=app)
    return app


def complete(world, app, *, applicant=None):
    """Hand in what prefill could not reuse: defer, commit, upload, type."""
    hand_in_missing(
        app,
        actor=applicant or world.investor,
        commitment="本企业承诺所填住所真实有效 / We commit that the address is real.",
        typed="由申请人填写 / filled by hand",
    )
    return app


def submitted(world, **kwargs):
    app = complete(world, draft(world, **kwargs))
    return services.application_submit(actor=app.applicant, application=app)


def review_of(app, department_code):
    return m.DepartmentReview.objects.get(application=app, department__code=department_code)


def approve_all(world, app):
    """Approve every review, and those the approvals open (matters that needed another)."""
    demo.reviews_approve(app, world.reviewers.__getitem__)
    app.refresh_from_db()
    return app
