"""What stored rows and queued messages name must keep its name across refactors.

viewflow stores the flow's import path in every process and task row, and a
queued Celery message carries its task's name: renaming either strands live
applications and lost work.
"""

from viewflow.workflow.models import Process

from approvals import jobs
from approvals.flows import SingleWindowFlow
from hainan_window.celery import app

TASK_NAMES = {
    "approvals.tasks.render_permit",
    "approvals.tasks.render_pending_permits",
    "approvals.tasks.sweep_timers",
    "approvals.tasks.deliver_notification",
    "approvals.tasks.deliver_pending_notifications",
    "approvals.tasks.recompute_estimates",
    "approvals.tasks.approval_report",
    "approvals.tasks.simulate",
}


def test_the_flow_keeps_the_import_path_stored_in_every_row():
    assert f"{SingleWindowFlow.__module__}.{SingleWindowFlow.__qualname__}" == (
        "approvals.flows.SingleWindowFlow"
    )
    field = Process._meta.get_field("flow_class")
    assert field.get_prep_value(SingleWindowFlow) == "approvals/flows.SingleWindowFlow"


def test_the_celery_task_names_stay_what_queued_messages_carry():
    app.loader.import_default_modules()
    registered = {name for name in app.tasks if name.startswith("approvals.")}
    assert registered >= TASK_NAMES, sorted(TASK_NAMES - registered)


def test_the_names_the_product_enqueues_are_registered_tasks():
    app.loader.import_default_modules()
    for name in (jobs.RENDER_PERMIT, jobs.DELIVER_NOTIFICATION):
        assert name in app.tasks
