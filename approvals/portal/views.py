"""Public and investor pages. Reads come from selectors, writes from services."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import Group
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from approvals import selectors
from approvals.context_processors import Roles
from approvals.models import Service
from approvals.portal.forms import SignUpForm
from approvals.services import INVESTOR_GROUP


def home(request):
    """Send each visitor to the face of the window they use."""
    if request.user.is_authenticated:
        roles = Roles(request.user)
        if roles.clerk:
            return redirect("review:window")
        if roles.reviewer:
            return redirect("review:reviews")
        if roles.supervisor:
            return redirect("review:overdue")
        if roles.investor:
            return redirect("portal:applications")
    return render(request, "portal/home.html", {"services": selectors.service_guide()})


def service_list(request):
    services = list(selectors.service_guide())
    for service in services:
        service.median_days = selectors.median_decision_days(service)
    return render(request, "portal/service_list.html", {"services": services})


def service_detail(request, code):
    service = get_object_or_404(selectors.service_guide(), code=code)
    service.median_days = selectors.median_decision_days(service)
    return render(request, "portal/service_detail.html", {"service": service})


@require_http_methods(["GET", "POST"])
def signup(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            user = form.save()
            user.groups.add(Group.objects.get_or_create(name=INVESTOR_GROUP)[0])
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Welcome. Choose a service to start an application."))
        return redirect("portal:services")
    return render(request, "registration/signup.html", {"form": form})


@login_required
def application_list(request):
    page = Paginator(selectors.applications_of(request.user), settings.PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "portal/application_list.html", {"page": page})


@login_required
def apply(request, code):
    service = get_object_or_404(Service, code=code, is_active=True)
    return render(request, "portal/apply.html", {"service": service})
