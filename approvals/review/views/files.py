"""Uploaded material files, only for those who may open the application."""

from __future__ import annotations

import mimetypes
from pathlib import PurePosixPath

from django.contrib.auth.decorators import login_required
from django.core.exceptions import SuspiciousFileOperation
from django.http import FileResponse, Http404
from django.utils.text import get_valid_filename

from approvals import selectors


def download_name(row) -> str:
    """The investor's file name, made safe for a header and a file system,
    with the extension its checked content type calls for."""
    raw = PurePosixPath((row.original_name or "").replace("\\", "/")).name
    try:
        name = get_valid_filename(raw).lstrip(".")[-120:]
    except SuspiciousFileOperation:  # nothing usable left of the name
        name = ""
    extension = mimetypes.guess_extension(row.content_type or "") or ""
    extension = {".jpe": ".jpg", ".jpeg": ".jpg"}.get(extension, extension)
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return f"{stem or row.material.code}{extension}"


@login_required
def material_file(request, public_id, material_code):
    """An uploaded material, only for the applicant and the officials who may open
    the application; anyone else gets a 404, as if there were no such file."""
    row = selectors.material_file_for(
        request.user, public_id=public_id, material_code=material_code
    )
    if row is None:
        raise Http404
    try:
        handle = row.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=download_name(row),
        content_type=row.content_type or "application/octet-stream",
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
