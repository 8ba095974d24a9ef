"""The view viewflow links each human task to.

The official screens are our own views (see ``approvals.review.views``), so a
task opened from anywhere viewflow makes a link (its task lists, a
notification) is sent on to the screen of ours where the work is done, for
the task's application, if the user may see it there; otherwise it is a 404,
like any application outside the user's scope.
"""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import NoReverseMatch, reverse
from django.views import View
from viewflow.workflow.models import Task

from approvals import roles, selectors
from approvals.models import Application


def _portal_url(application: Application) -> str:
    # The investor's own page of the application, if the portal has one.
    for name, kwargs in (
        ("portal:application", {"public_id": application.public_id}),
        ("portal:applications", {}),
    ):
        try:
            return reverse(name, kwargs=kwargs)
        except NoReverseMatch:
            continue
    return reverse("home")


def task_screen_url(user, task: Task) -> str | None:
    """Where `user` does or follows `task`, or None if it is none of their business."""
    application = get_object_or_404(Application, process_id=task.process_id)
    node = getattr(task.flow_task, "name", "")
    if node == "review":
        review = selectors.reviews_for_reviewer(user).filter(task=task).first()
        if review is not None:
            return reverse("review:review", kwargs={"review_id": review.pk})
    if selectors.applications_for_official(user).filter(pk=application.pk).exists():
        if node == "accept" and roles.is_clerk(user):
            return reverse("review:window_application", kwargs={"public_id": application.public_id})
        return reverse("review:application", kwargs={"public_id": application.public_id})
    if application.applicant_id == user.pk:
        return _portal_url(application)
    return None


class TaskScreenView(LoginRequiredMixin, View):
    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        activation = getattr(request, "activation", None)
        if activation is not None:
            task = activation.task
        else:
            task = get_object_or_404(Task, pk=kwargs.get("task_pk"))
        url = task_screen_url(request.user, task)
        if url is None:
            raise Http404
        return redirect(url)
