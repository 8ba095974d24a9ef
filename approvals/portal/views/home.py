"""The front door and the public service guide: where each visitor starts."""

from django.shortcuts import get_object_or_404, redirect, render

from approvals import roles, selectors


def home(request):
    """Send each visitor to the face of the window they use."""
    if request.user.is_authenticated:
        who = roles.of(request.user)
        if who.clerk:
            return redirect("review:window")
        if who.reviewer:
            return redirect("review:reviews")
        if who.supervisor:
            return redirect("review:overdue")
        if who.investor:
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
