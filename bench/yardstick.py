"""The benchmark's yardstick: a bare viewflow flow of the single-window shape.

Used only by ``bench/bench_engine.py``, never by the application. It runs
the same nodes as ``approvals.flows.SingleWindowFlow`` on its happy path,

    start -> accept -> check_acceptance -> one review per department
          -> join -> decide -> check_decision -> issue -> end

with viewflow's default ``Process`` and the same flow lock, but nothing of
ours: no business records, no ledger, no notifications, no permission
checks and no SLA timers (the real flow's timers are non-interrupting and
never fire in a benchmark run, but each one is a row the real flow writes
and this one does not). The departments come from ``process.data``, given
when the process is started, so the split reads no catalogue either. What
the real flow costs above this is what our own code costs.

viewflow derives a flow's app label from the installed app holding its
module: bench_engine.py runs on ``bench.settings``, which installs ``bench``.
The product never imports it: importing it makes viewflow add the "manage"
permission to its own ``Process`` model in memory, which ``makemigrations
--check`` must not see.
"""

from viewflow import this
from viewflow.workflow import flow
from viewflow.workflow.activation import Activation
from viewflow.workflow.nodes.split import SplitActivation

from approvals.flows import DatabaseLock
from approvals.workflow.task_views import TaskScreenView


class DataSplitActivation(SplitActivation):
    @Activation.status.super()
    def activate(self):
        """One branch per department listed in the process data."""
        for code in self.process.data["departments"]:
            for node, _cond, _data in self.flow_task._branches:
                self.next_tasks.append((node, {"department": code}))


class DataSplit(flow.Split):
    """A parallel split whose branches come from ``process.data["departments"]``."""

    activation_class = DataSplitActivation


class BareSingleWindowFlow(flow.Flow):
    """Bare single-window yardstick

    The single-window flow's shape on viewflow alone, for the benchmark.
    """

    lock_impl = DatabaseLock()

    start = flow.StartHandle().Next(this.accept)
    accept = flow.View(TaskScreenView.as_view()).Next(this.check_acceptance)
    check_acceptance = flow.If(this.is_accepted).Then(this.split_reviews).Else(this.end)
    split_reviews = DataSplit().Next(this.review)
    review = flow.View(TaskScreenView.as_view()).Next(this.join_reviews)
    join_reviews = flow.Join().Next(this.decide)
    decide = flow.Function(this.make_decision).Next(this.check_decision)
    check_decision = flow.If(this.is_approved).Then(this.issue_permit).Else(this.end)
    issue_permit = flow.Function(this.permit).Next(this.end)
    end = flow.End()

    def is_accepted(self, activation):
        return True

    def make_decision(self, activation):
        pass

    def is_approved(self, activation):
        return True

    def permit(self, activation):
        pass
