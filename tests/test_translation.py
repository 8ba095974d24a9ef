"""Both languages, always: every message in the catalogue has a Chinese
translation, none left fuzzy (a fuzzy entry is shown in English)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def entries(text: str) -> list[tuple[str, str, bool]]:
    """(msgid, msgstr, fuzzy) for every active entry of a .po file, header excluded."""
    found = []
    for block in text.split("\n\n"):
        lines = [line for line in block.splitlines() if not line.startswith("#~")]
        if not any(line.startswith("msgid ") for line in lines):
            continue
        fuzzy = any(line.startswith("#,") and "fuzzy" in line for line in lines)
        msgid, msgstr, current = [], [], None
        for line in lines:
            if line.startswith("msgid "):
                current = msgid
                line = line[len("msgid ") :]
            elif line.startswith("msgid_plural "):
                current = None
            elif line.startswith(("msgstr ", "msgstr[0] ")):
                current = msgstr
                line = line.split(" ", 1)[1]
            elif line.startswith("msgstr["):
                current = None
            if current is not None and line.startswith('"'):
                current.append(line[1:-1])
        found.append(("".join(msgid), "".join(msgstr), fuzzy))
    return [e for e in found if e[0]]


def test_every_message_has_a_chinese_translation():
    missing = [msgid for msgid, msgstr, fuzzy in entries(PO.read_text("utf-8")) if not msgstr]
    fuzzy = [msgid for msgid, _msgstr, is_fuzzy in entries(PO.read_text("utf-8")) if is_fuzzy]
    assert not missing, missing
    assert not fuzzy, fuzzy


def test_the_catalogue_is_not_stale_against_the_code(tmp_path):
    """makemessages, run on a copy of the code, finds no message the catalogue lacks."""
    for part in ("approvals", "hainan_window", "templates", "locale"):
        shutil.copytree(
            ROOT / part, tmp_path / part, ignore=shutil.ignore_patterns("__pycache__", "*.mo")
        )
    shutil.copy(ROOT / "manage.py", tmp_path)
    environment = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", "-v0"],
        cwd=tmp_path,
        env=environment,
        check=True,
        timeout=300,
    )
    extracted = tmp_path / PO.relative_to(ROOT)
    committed = {msgid for msgid, _s, _f in entries(PO.read_text("utf-8"))}
    current = {msgid for msgid, _s, _f in entries(extracted.read_text("utf-8"))}
    assert not current - committed, "run makemessages and translate: " + repr(
        sorted(current - committed)
    )
