"""What the database must say after a crowd has used the app: each application in
agreement with its viewflow process and its own records."""

from __future__ import annotations


def application_problems(application) -> list[str]:
    """How an application disagrees with its viewflow process and its own records ([] if in no
    way): the status against the process and its tasks, one review per department, each
    review's decision against its task, the ledger and the clock. Reads the database."""
    # Imported here: the package is imported before Django is set up (the benchmark).
    from viewflow.workflow.models import Process, Task
    from viewflow.workflow.status import PROCESS, STATUS

    from approvals.flows import SingleWindowFlow as Flow
    from approvals.models import ApplicationStatus as S
    from approvals.models import (
        ClockInterval,
        MatterState,
        Permit,
        ReviewDecision,
        Step,
        StepKind,
    )

    app = application
    problems: list[str] = []
    where = f"{app.reference} ({app.status})"
    tasks = list(Task.objects.filter(process_id=app.process_id)) if app.process_id else []
    finished = (STATUS.DONE, STATUS.CANCELED)

    def of(node):
        return [t for t in tasks if t.flow_task == node]

    def still_open(node):
        return [t for t in of(node) if t.status not in finished]

    if [t for t in tasks if t.status == STATUS.ERROR]:
        problems.append(f"{where}: a task of its process is in error")
    submissions = Step.objects.filter(application=app, kind=StepKind.SUBMISSION).count()
    open_clock = ClockInterval.objects.filter(application=app, ended_at__isnull=True).count()
    reviews = list(app.reviews.select_related("department", "task"))
    # A review for every matter but those waiting for another and those left undecided.
    states = list(app.matters.values_list("state", flat=True))
    unreviewed = (MatterState.PENDING, MatterState.WAITING, MatterState.NOT_DECIDED)
    departments = sum(1 for s in states if s not in unreviewed)
    approved = sum(1 for s in states if s == MatterState.APPROVED)

    if app.status == S.DRAFT:
        if app.process_id or submissions or reviews:
            problems.append(f"{where}: a draft with a process, a submission or reviews")
        return problems
    if app.process_id is None:
        return [*problems, f"{where}: not a draft, yet no process"]
    process = Process.objects.get(pk=app.process_id)
    if submissions != 1:
        problems.append(f"{where}: {submissions} submission steps")
    if app.status == S.SUBMITTED:
        if process.status != PROCESS.NEW or len(still_open(Flow.accept)) != 1 or reviews:
            problems.append(
                f"{where}: process {process.status}, open acceptance tasks "
                f"{len(still_open(Flow.accept))}, reviews {len(reviews)}"
            )
    elif app.status in (S.ACCEPTED, S.IN_REVIEW):
        pending = [r for r in reviews if r.decision == ReviewDecision.PENDING]
        if process.status != PROCESS.NEW or len(reviews) != departments:
            problems.append(f"{where}: process {process.status}, {len(reviews)} reviews")
        if len(still_open(Flow.review)) != len(pending):
            problems.append(
                f"{where}: {len(pending)} pending reviews, "
                f"{len(still_open(Flow.review))} open review tasks"
            )
    elif app.status in (S.APPROVED, S.PARTLY_APPROVED, S.REJECTED):
        if process.status != PROCESS.DONE:
            problems.append(f"{where}: decided, yet its process is {process.status}")
        if len(reviews) != departments or any(
            r.decision == ReviewDecision.PENDING or r.decided_at is None for r in reviews
        ):
            problems.append(f"{where}: reviews undecided or missing")
        for node in (Flow.join_reviews, Flow.decide, Flow.end):
            done = [t for t in of(node) if t.status == STATUS.DONE]
            if len(of(node)) != 1 or len(done) != 1:
                problems.append(f"{where}: {len(of(node))} {node.name} tasks, {len(done)} done")
        if any(
            s in (MatterState.PENDING, MatterState.WAITING, MatterState.IN_REVIEW) for s in states
        ):
            problems.append(f"{where}: decided with matters unsettled")
        # One outcome per approved matter, and none for any other.
        permits = Permit.objects.filter(application=app).count()
        if permits != approved:
            problems.append(f"{where}: {permits} permits for {approved} approved matters")
    for review in reviews:
        task = review.task
        decided = review.decision != ReviewDecision.PENDING
        if task is None or (task.status == STATUS.DONE) != decided:
            problems.append(
                f"{where}: review {review.department.code} {review.decision}, "
                f"task {task.status if task else None}"
            )
        steps = Step.objects.filter(task=task, finished_at__isnull=False).count() if task else 0
        if steps != (1 if decided else 0):
            problems.append(f"{where}: review {review.department.code} has {steps} finished steps")
    if open_clock != (1 if app.status in (S.SUBMITTED, S.ACCEPTED, S.IN_REVIEW) else 0):
        problems.append(f"{where}: {open_clock} open clock intervals")
    return problems
