"""Forms for real-name verification and mandates: they shape input, the services decide.
The portal (identity, grant, revoke) and the window (paper mandates, search,
revoke) both use them, so they belong to neither.

The identity form feeds approvals.realname.identity_verify; the mandate forms
feed approvals.mandates (granted in the portal, or registered on paper by a
window clerk). A form checks only that what was typed is usable (a date is a
date, the grantee is named); whether it is allowed is the service's rule, and
its errors come back beside the inputs they concern.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from approvals.identifiers import DocumentType
from approvals.mandates import Grantee
from approvals.models import Service
from approvals.pages import ACCEPTED_UPLOAD_TYPES

# ISO 3166-1 alpha-3 codes of the nationalities the single window sees most,
# mainland China first, then Hong Kong, Macao and Taiwan (their permits), then
# the main investing countries. A real deployment reads the full list from the
# identity service; a nationality outside this list is handled at the window.
NATIONALITIES = [
    ("CHN", _("China")),
    ("HKG", _("Hong Kong, China")),
    ("MAC", _("Macao, China")),
    ("TWN", _("Taiwan, China")),
    ("SGP", _("Singapore")),
    ("USA", _("United States")),
    ("GBR", _("United Kingdom")),
    ("DEU", _("Germany")),
    ("FRA", _("France")),
    ("ITA", _("Italy")),
    ("ESP", _("Spain")),
    ("NLD", _("Netherlands")),
    ("CHE", _("Switzerland")),
    ("SWE", _("Sweden")),
    ("RUS", _("Russia")),
    ("JPN", _("Japan")),
    ("KOR", _("Republic of Korea")),
    ("MYS", _("Malaysia")),
    ("THA", _("Thailand")),
    ("IDN", _("Indonesia")),
    ("VNM", _("Viet Nam")),
    ("PHL", _("Philippines")),
    ("IND", _("India")),
    ("ARE", _("United Arab Emirates")),
    ("SAU", _("Saudi Arabia")),
    ("AUS", _("Australia")),
    ("NZL", _("New Zealand")),
    ("CAN", _("Canada")),
    ("BRA", _("Brazil")),
    ("ZAF", _("South Africa")),
]


def nationality_choices():
    """'China (CHN)' in the language of the page that renders it."""
    return [
        ("", _("Choose…")),
        *((code, format_lazy("{} ({})", name, code)) for code, name in NATIONALITIES),
    ]


def _code_input() -> forms.TextInput:
    """The input of a code or a document number: no autocomplete, no spelling."""
    return forms.TextInput(
        attrs={"autocomplete": "off", "spellcheck": "false", "class": "code-input"}
    )


class IdentityForm(forms.Form):
    name = forms.CharField(
        label=_("Full name"),
        max_length=120,
        help_text=_(
            "Exactly as printed on the document, in its script (e.g. 王海, or SMITH JOHN)."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    document_type = forms.ChoiceField(
        label=_("Identity document"),
        choices=[("", _("Choose…")), *DocumentType.choices],
    )
    document_number = forms.CharField(
        label=_("Document number"),
        max_length=40,
        help_text=_("As printed on the document; spaces are ignored."),
        widget=_code_input(),
    )
    nationality = forms.ChoiceField(label=_("Nationality"), choices=nationality_choices)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The service says what is wrong with each input, in one place.
        for field in self.fields.values():
            field.required = False


class GranteeKind:
    PERSON = "person"
    AGENCY = "agency"


class _ServiceChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.name


def _date_input() -> forms.DateInput:
    return forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


def start_of(day) -> datetime:
    """The first instant of a local day."""
    return timezone.make_aware(datetime.combine(day, time.min))


class MandateForm(forms.Form):
    """To whom, for which services, from and until when."""

    grantee_kind = forms.ChoiceField(
        label=_("Authorise"),
        choices=[
            (GranteeKind.PERSON, _("a person (by their identity document)")),
            (GranteeKind.AGENCY, _("an agency (by its credit code)")),
        ],
        initial=GranteeKind.PERSON,
        widget=forms.RadioSelect,
    )
    name = forms.CharField(
        label=_("The person's full name"),
        max_length=120,
        required=False,
        help_text=_("As on their verified account: exactly as printed on their document."),
    )
    document_type = forms.ChoiceField(
        label=_("Their identity document"),
        choices=[("", _("Choose…")), *DocumentType.choices],
        required=False,
    )
    document_number = forms.CharField(
        label=_("Their document number"),
        max_length=40,
        required=False,
        widget=_code_input(),
    )
    agency_uscc = forms.CharField(
        label=_("The agency's unified social credit code"),
        max_length=40,
        required=False,
        widget=_code_input(),
    )
    services = _ServiceChoice(
        label=_("Services"),
        queryset=Service.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("The mandate lets its holder apply for these services only."),
    )
    valid_from = forms.DateField(
        label=_("From"),
        required=False,
        widget=_date_input(),
        help_text=_("Leave empty to start at once."),
    )
    valid_until = forms.DateField(
        label=_("Until (inclusive)"),
        required=False,
        widget=_date_input(),
        help_text=_("At most three years; the mandate ends at the end of that day."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # An existing enterprise mandates services done for it; establishing an
        # enterprise is its founder's, not something it can authorise.
        self.fields["services"].queryset = Service.objects.filter(
            is_active=True, establishes_enterprise=False
        ).order_by("code")

    def clean(self):
        data = super().clean()
        kind = data.get("grantee_kind")
        if kind == GranteeKind.AGENCY:
            if not (data.get("agency_uscc") or "").strip():
                self.add_error("agency_uscc", _("Enter the agency's credit code."))
        elif kind == GranteeKind.PERSON:
            if not (data.get("name") or "").strip():
                self.add_error("name", _("Enter the person's full name."))
            if not (data.get("document_number") or "").strip():
                self.add_error("document_number", _("Enter the number of their document."))
        if not data.get("valid_until") and "valid_until" not in self.errors:
            self.add_error("valid_until", _("Enter the last day of the mandate."))
        return data

    def grantee(self) -> Grantee:
        data = self.cleaned_data
        if data["grantee_kind"] == GranteeKind.AGENCY:
            return Grantee(agency_uscc=data["agency_uscc"])
        return Grantee(
            document_type=data["document_type"],
            document_number=data["document_number"],
            name=data["name"],
        )

    def period(self) -> tuple[datetime | None, datetime]:
        """From: None (now) for today or no date, else the start of that day. Until:
        the end of the day named, so a mandate "until 31 December" covers that day."""
        start = self.cleaned_data.get("valid_from")
        today = timezone.localdate()
        valid_from = None if start is None or start == today else start_of(start)
        valid_until = start_of(self.cleaned_data["valid_until"] + timedelta(days=1))
        return valid_from, valid_until


class PaperMandateForm(MandateForm):
    """A clerk registers a paper mandate: the same, plus the enterprise and the scan."""

    uscc = forms.CharField(
        label=_("The enterprise's unified social credit code"),
        max_length=40,
        required=False,
        widget=_code_input(),
    )
    document = forms.FileField(
        label=_("Scan of the signed mandate"),
        required=False,
        widget=forms.FileInput(attrs={"accept": ACCEPTED_UPLOAD_TYPES}),
    )

    field_order = ["uscc"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["document"].help_text = _("PDF, JPEG or PNG, at most %(mb)s MB.") % {
            "mb": f"{settings.UPLOAD_MAX_BYTES / 1e6:g}"
        }

    def clean(self):
        data = super().clean()
        if not (data.get("uscc") or "").strip():
            self.add_error("uscc", _("Enter the enterprise's credit code."))
        return data


class RevokeMandateForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (optional)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Kept in the audit trail with the revocation."),
    )


class MandateSearchForm(forms.Form):
    uscc = forms.CharField(
        label=_("Enterprise's credit code"),
        max_length=40,
        required=False,
        widget=_code_input(),
    )
