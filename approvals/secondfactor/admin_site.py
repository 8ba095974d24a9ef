"""The admin site, asking its users for the second factor as django-otp's
OTPAdminSite does, but only while OFFICIAL_SECOND_FACTOR is on (read at each
request, where OTPAdminSite would be chosen once at start-up). The middleware
sends an official who still owes the code to the code page before the admin
is reached; this is the admin's own check behind it."""

from django.contrib.admin import AdminSite

from approvals.secondfactor import rules


class SecondFactorAdminSite(AdminSite):
    def has_permission(self, request):
        return super().has_permission(request) and not rules.is_pending(request)
