"""System checks of this deployment's settings (``manage.py check``)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core import checks


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True


@checks.register(checks.Tags.security)
def uploads_are_not_public(app_configs=None, **kwargs):
    """Uploads must never land where a static file handler or a template loader reads.

    Material files are served only by a view that checks who asks; a
    MEDIA_ROOT inside static/ (or STATIC_ROOT, or a template folder) would
    publish every applicant's documents to anyone who guesses a name.
    """
    media = Path(settings.MEDIA_ROOT)
    public = [Path(p) for p in settings.STATICFILES_DIRS]
    public.append(Path(settings.STATIC_ROOT))
    for engine in settings.TEMPLATES:
        public.extend(Path(d) for d in engine.get("DIRS", []))
    return [
        checks.Error(
            f"MEDIA_ROOT ({media}) is inside {folder}, which is served or rendered publicly.",
            hint="Point MEDIA_ROOT at a folder outside static/, STATIC_ROOT and templates/.",
            id="hainan_window.E001",
        )
        for folder in public
        if _inside(media, folder)
    ]
