"""The number that picks a plural form, for counts that may be fractions.

``{% blocktranslate count %}`` needs an integer: gettext warns about any
other number. A whole value (``Decimal("1.0")``, ``2.0``) is its integer; a
fraction (half a working day) has no singular in English or Chinese, so it
picks the form of a count other than one.
"""

from decimal import Decimal, InvalidOperation

from django import template

register = template.Library()


@register.filter
def plural_count(value) -> int:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return 0
    whole = number.to_integral_value()
    return int(whole) if number == whole else 0
