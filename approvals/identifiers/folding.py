"""What people type, folded into the standards' form, for every identifier alike."""

from __future__ import annotations

import unicodedata


def fold(value: object) -> str:
    """Fold what people actually type into the standard's form.

    Chinese input methods often produce full-width digits and letters
    (``９１３５…``) and full-width spaces; NFKC folds them to ASCII so that a
    correct code typed that way is not rejected. Whitespace anywhere is
    dropped because codes are commonly written in groups.
    """
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", str(value))
    return "".join(text.split()).upper()


def positions(indexes: list[int]) -> str:
    """Positions as a person counts them (from 1), for a message naming the bad characters."""
    return ", ".join(str(i + 1) for i in indexes)
