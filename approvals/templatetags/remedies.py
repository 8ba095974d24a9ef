"""``{% remedies_of application as remedies %}``: a refusal's remedies, for any page or mail."""

from django import template

from approvals.remedies import remedies_for

register = template.Library()


@register.simple_tag
def remedies_of(application):
    if application is None:
        return None
    return remedies_for(application)
