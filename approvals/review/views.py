"""Official screens. Each list is scoped by a selector to what the official may see."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from approvals import selectors, services


@login_required
def window_queue(request):
    if not services.is_clerk(request.user):
        raise PermissionDenied
    return render(request, "review/window_queue.html", {})


@login_required
def review_queue(request):
    reviews = selectors.department_reviews_for(request.user)
    return render(request, "review/review_queue.html", {"reviews": reviews})


@login_required
def overdue(request):
    if not services.is_supervisor(request.user):
        raise PermissionDenied
    return render(request, "review/overdue.html", {})
