"""The flow's own node types and its lock: what viewflow's stock nodes do not say.

The window task only clerks take, the review task only its department's
reviewers take, the split with one branch per matter of the application, the
gate that passes each branch's matter on, and the lock chosen by database.
Roles come from approvals.roles.
"""

from contextlib import contextmanager

from django.db import connection
from viewflow.workflow import flow, lock
from viewflow.workflow.activation import Activation
from viewflow.workflow.nodes.split import SplitActivation
from viewflow.workflow.nodes.switch import SwitchActivation

from approvals import roles
from approvals.engine import callbacks


class DatabaseLock:
    """The flow lock, chosen by database.

    PostgreSQL: viewflow's row lock (SELECT ... FOR UPDATE) on the process,
    waiting up to the connection's lock_timeout; without it a Join can be left
    stuck when two branches finish at once. SQLite ignores FOR UPDATE, but
    every transaction there starts IMMEDIATE (see settings), which already
    serialises writers, so a plain transaction is the lock.
    """

    def __init__(self):
        # One attempt: lock_timeout already is the wait. viewflow's retries
        # (with random sleeps) made a busy case answer after ~3x the timeout.
        self._row_lock = lock.SelectForUpdateLock(nowait=False, attempts=1)

    @contextmanager
    def __call__(self, flow_class, process_pk):
        impl = self._row_lock if connection.vendor == "postgresql" else lock.no_lock
        with impl(flow_class, process_pk):
            yield


class MatterSplitActivation(SplitActivation):
    @Activation.status.super()
    def activate(self):
        """One branch per matter of the application, each knowing its matter and department."""
        for data in callbacks.review_branches(self.process):
            for node, _cond, _data in self.flow_task._branches:
                self.next_tasks.append((node, data))


class MatterSplit(flow.Split):
    """A parallel split whose branches are the application's matters, not code.

    viewflow cannot add a branch to a split that has run, so every matter has
    its branch from the start; one that needs another matter first waits at
    the gate's parking place (``MatterGate``)."""

    activation_class = MatterSplitActivation


# Stored viewflow rows name it so: processes split before matters existed.
DepartmentSplit = MatterSplit


class MatterGateActivation(SwitchActivation):
    @Activation.status.super()
    def create_next(self):
        # A stock Switch gives the next task no data: the branch would forget its matter.
        yield self.next_task._create(self, self.task.token, data=dict(self.task.data or {}))


class MatterGate(flow.Switch):
    """Route a matter's branch: to review, to wait for the matters it needs, or to its end."""

    activation_class = MatterGateActivation


def same_matter(activation) -> dict:
    """The next node's data: the branch's matter and department, carried along."""
    return dict(activation.task.data or {})


class WindowTask(flow.View):
    """A task that only window clerks (approvals.roles) may take."""

    def can_assign(self, user, task):
        if task.owner_id or user is None or user.is_anonymous:
            return False
        return roles.is_clerk(user)


class DepartmentTask(flow.View):
    """A task that only the reviewers of the task's department may take."""

    def can_assign(self, user, task):
        if task.owner_id or user is None or user.is_anonymous:
            return False
        return roles.is_department_reviewer(user, task.data.get("department"))

    def can_execute(self, user, task):
        return task.owner_id is not None and task.owner_id == getattr(user, "pk", None)
