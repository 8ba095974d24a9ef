"""The one field of both second-factor pages: the code the app shows."""

from django import forms
from django.utils.translation import gettext_lazy as _

from approvals.secondfactor.rules import normalize_code


class CodeForm(forms.Form):
    otp_token = forms.CharField(
        label=_("6-digit code"),
        max_length=20,
        help_text=_("From your authenticator app; it shows a new code every 30 seconds."),
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "autofocus": True}
        ),
        error_messages={"required": _("Type the 6-digit code your authenticator app shows.")},
    )

    def clean_otp_token(self):
        code = normalize_code(self.cleaned_data["otp_token"])
        if not (code.isascii() and code.isdigit() and len(code) == 6):
            raise forms.ValidationError(
                _("A code is 6 digits, such as 123456. Type the one your app shows now.")
            )
        return code
