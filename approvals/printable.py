"""Can the permit print this text? The one answer, asked where values are typed.

A character none of the permit's fonts has is printed as a box (tofu): an
emoji in a company name, a private-use character pasted from another
system. The permit (templates/permits/permit.html) sets its values in Noto
Serif CJK SC, then Noto Sans CJK SC, then the serif fallback (DejaVu Serif),
and the codes in DejaVu Sans Mono. The set of printable characters is the
union of those fonts' character maps (their cmap tables, read with fontTools,
which weasyprint already depends on), found through fontconfig (``fc-match``)
and read once per process.

Whitespace always prints (as space). When the permit's CJK font cannot be
found (a machine without fontconfig or without the fonts), the check falls back to
refusing only what no font is meant to print: control characters, private-use
and unassigned code points, surrogates, and emoji (symbols above U+1F000 and
the emoji presentation selector), judged by ``unicodedata``. That fallback lets
through a rare CJK character the real fonts lack; it never refuses one they have.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import unicodedata
from functools import cache

from django.utils.translation import ngettext

logger = logging.getLogger(__name__)

# The families the permit's stylesheet names, in its order.
PERMIT_FONT_FAMILIES = (
    "Noto Serif CJK SC",
    "Noto Sans CJK SC",
    "DejaVu Serif",
    "DejaVu Sans Mono",
)
EMOJI_PRESENTATION = "\ufe0f"


def _font_file(family: str) -> tuple[str, int] | None:
    """The file (and index in a collection) fontconfig gives for the family, if it is
    that family and not a substitute."""
    fc_match = shutil.which("fc-match")
    if fc_match is None:
        return None
    try:
        found = subprocess.run(
            [fc_match, "-f", "%{file}\n%{index}\n%{family}", family],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.split("\n")
    except (OSError, subprocess.SubprocessError):
        return None
    if len(found) < 3 or family not in found[2].split(","):
        return None  # fontconfig would substitute another font: not one the permit names
    try:
        return found[0], int(found[1] or 0)
    except ValueError:
        return found[0], 0


@cache
def printable_code_points() -> frozenset[int] | None:
    """Every code point some permit font can draw; None when no font file was found."""
    from fontTools.ttLib import TTFont  # noqa: PLC0415 - a dependency of weasyprint; only this reads fonts

    points: set[int] = set()
    for family in PERMIT_FONT_FAMILIES:
        located = _font_file(family)
        if located is None:
            logger.warning("permit font %r not found: its characters are not checked", family)
            if family == PERMIT_FONT_FAMILIES[0]:
                # Without the CJK font the others would refuse every Chinese
                # character: judge by character category instead.
                return None
            continue
        path, index = located
        try:
            font = TTFont(path, fontNumber=index, lazy=True)
            points.update((font.getBestCmap() or {}).keys())
            font.close()
        except Exception:  # an unreadable font file: the others still count
            logger.exception("could not read the character map of %s", path)
    return frozenset(points) if points else None


def _refused_without_fonts(char: str) -> bool:
    category = unicodedata.category(char)
    if category in ("Cc", "Co", "Cn", "Cs"):
        return True
    if char == EMOJI_PRESENTATION:
        return True
    return category == "So" and ord(char) >= 0x1F000


def unprintable(text: str) -> list[str]:
    """The characters of `text` the permit cannot print, each once, in order of appearance."""
    points = printable_code_points()
    found: list[str] = []
    for char in dict.fromkeys(text or ""):
        if char.isspace():
            continue
        refused = _refused_without_fonts(char) if points is None else ord(char) not in points
        if refused:
            found.append(char)
    return found


def describe(char: str) -> str:
    """A character as a message names it: itself (if visible), its code point and name."""
    name = unicodedata.name(char, "")
    shown = char if unicodedata.category(char)[0] not in ("C", "Z", "M") else ""
    parts = [f"“{shown}”" if shown else "", f"U+{ord(char):04X}", name]
    return " ".join(p for p in parts if p)


def unprintable_message(chars: list[str]) -> str:
    return ngettext(
        "The permit cannot print %(chars)s: no permit font has this character. "
        "Remove it or write it another way.",
        "The permit cannot print %(chars)s: no permit font has these characters. "
        "Remove them or write them another way.",
        len(chars),
    ) % {"chars": ", ".join(describe(c) for c in chars)}
