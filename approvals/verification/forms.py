"""The public verification form: paste a code or a link, or upload the permit PDF."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from approvals import permits

# Why an uploaded PDF was refused unread (permits.PdfTooCostly.reason).
TOO_COSTLY = {
    "pages": _("it has more than %(pages)d pages"),
    "content_size": _("its first page holds too much content"),
    "operators": _("its first page has too many drawing operations"),
    "time": _("it takes too long to read"),
}


class VerifyForm(forms.Form):
    code = forms.CharField(
        label=_("Verification code or link"),
        required=False,
        # A link with a token is about 250 characters; this leaves room for
        # line breaks and a different host, and stops pastes of whole pages.
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false", "autocomplete": "off"}),
        help_text=_(
            "The code printed under the QR code, or the link the QR code opens "
            "(it contains /verify/)."
        ),
    )
    document = forms.FileField(
        label=_("Or upload the permit PDF"),
        required=False,
        help_text=_("The PDF as you received it; it is read to check it, and not kept."),
    )

    def clean_code(self) -> str:
        text = self.cleaned_data.get("code", "")
        if not text.strip():
            return ""
        token = permits.token_from_text(text)
        if token is None:
            raise forms.ValidationError(
                _(
                    "This is not a permit verification code or link. Copy the whole code "
                    "printed under the QR code, or the link the QR code opens."
                )
            )
        return token

    def clean_document(self):
        upload = self.cleaned_data.get("document")
        if not upload:
            return None
        limit = settings.UPLOAD_MAX_BYTES
        if not upload.size:
            raise forms.ValidationError(_("The file is empty."))
        if upload.size > limit:
            raise forms.ValidationError(
                _("The file is %(size).1f MB; the limit is %(limit).0f MB.")
                % {"size": upload.size / 1e6, "limit": limit / 1e6}
            )
        upload.seek(0)
        data = upload.read()
        # Told from the content, never from the name or the declared type.
        if not data.startswith(b"%PDF-"):
            raise forms.ValidationError(_("This file is not a PDF. Upload the permit's PDF."))
        try:
            token = permits.token_from_pdf(data)
        except permits.PdfTooCostly as exc:
            raise forms.ValidationError(
                _(
                    "This PDF was not read: %(why)s, more than any permit. Upload the "
                    "permit's PDF as you received it."
                )
                % {
                    "why": TOO_COSTLY.get(exc.reason, TOO_COSTLY["time"])
                    % {"pages": permits.PDF_MAX_PAGES}
                },
                code=f"pdf_{exc.reason}",
            ) from exc
        except permits.UnreadablePdf as exc:
            raise forms.ValidationError(
                _("This PDF could not be read. Upload the permit's PDF as you received it.")
            ) from exc
        if token is None:
            raise forms.ValidationError(
                _(
                    "This PDF carries no permit verification code: it was not issued by the "
                    "single window, or it was changed after issue."
                )
            )
        self.document_token, self.document_data = token, data
        return upload

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        if cleaned.get("code") and cleaned.get("document"):
            raise forms.ValidationError(_("Paste a code or upload a PDF, not both."))
        if not cleaned.get("code") and not cleaned.get("document"):
            raise forms.ValidationError(_("Paste a code or a link, or upload the permit PDF."))
        return cleaned
