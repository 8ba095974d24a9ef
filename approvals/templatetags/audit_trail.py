"""Template filters for the audit trail: details as readable text."""

from django import template

from approvals import audit

register = template.Library()


@register.filter
def audit_detail(detail) -> str:
    return audit.describe(detail)


@register.filter
def audit_channel(channel) -> str:
    return audit.channel_text(channel)
