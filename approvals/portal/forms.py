"""Forms of the investor portal. They validate input; the services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from approvals import prefill
from approvals.identifiers import normalize_uscc, validate_uscc
from approvals.models import ApplicationStatus, DeterminantKind
from approvals.pages import ACCEPTED_UPLOAD_TYPES

# --- applying -----------------------------------------------------------------


class ApplyForm(forms.Form):
    """What opens a draft: the enterprise's credit code, or for a service that
    establishes an enterprise (which has no code yet), its name reservation."""

    uscc = forms.CharField(
        label=_("Unified social credit code"),
        max_length=40,
        help_text=_(
            "The 18 characters on the business licence (统一社会信用代码). Spaces are ignored."
        ),
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
                "class": "code-input",
            }
        ),
    )
    reservation_number = forms.CharField(
        label=_("Name reservation number"),
        max_length=40,
        help_text=_(
            "The number on the name self-declaration notice (名称自主申报告知书) you received "
            "when you declared the new enterprise's name. Its credit code is assigned at "
            "registration."
        ),
    )
    # Generated when the form is shown: posting the same form twice (double
    # click, back button, a retried request) opens one draft, not two.
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, service=None, determinants=(), matters=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.establishes = bool(service and service.establishes_enterprise)
        del self.fields["uscc" if self.establishes else "reservation_number"]
        # The guide (approvals.guide): its questions, and the matters to pick from.
        self.determinants = list(determinants)
        for det in self.determinants:
            self.fields[answer_field_name(det.code)] = _answer_field(det)
        if len(matters) > 1:
            self.fields["matters"] = forms.MultipleChoiceField(
                label=_("Matters to apply for"),
                required=False,
                choices=[(m.code, m.name) for m in matters],
                widget=forms.CheckboxSelectMultiple,
                help_text=_(
                    "Ticked: what your answers call for. You may apply for fewer, or add one; "
                    "a matter that needs another first waits for it."
                ),
            )

    @property
    def answer_fields(self):
        return [(det, self[answer_field_name(det.code)]) for det in self.determinants]

    def answers(self) -> dict:
        """The answers as the guide reads them (unanswered ones left out)."""
        given = {}
        for det in self.determinants:
            value = self.cleaned_data.get(answer_field_name(det.code))
            if value not in (None, ""):
                given[det.code] = str(value)
        return given

    @property
    def subject_field(self):
        return self["reservation_number" if self.establishes else "uscc"]

    def clean_idempotency_key(self) -> str:
        return self.cleaned_data["idempotency_key"].strip()[:40]

    def clean_uscc(self) -> str:
        code = normalize_uscc(self.cleaned_data["uscc"])
        validate_uscc(code)
        return code

    def clean_reservation_number(self) -> str:
        return "".join(self.cleaned_data["reservation_number"].split()).upper()


def answer_field_name(code: str) -> str:
    return f"answer-{code}"


def _answer_field(det) -> forms.Field:
    common = {"label": det.question, "help_text": det.help, "required": False}
    if det.kind == DeterminantKind.NUMBER:
        return forms.DecimalField(
            min_value=0, max_digits=12, decimal_places=2, widget=forms.NumberInput, **common
        )
    if det.kind == DeterminantKind.YES_NO:
        choices = [("yes", _("Yes")), ("no", _("No"))]
    else:
        choices = [(str(c["value"]), det.label_of(c["value"])) for c in det.choices]
    return forms.ChoiceField(choices=choices, widget=forms.RadioSelect, **common)


def value_field_name(key: str) -> str:
    """The form field of an application value: 'enterprise.name_zh' -> 'v-enterprise-name_zh'."""
    return "v-" + key.replace(".", "-")


def _value_widget(key: str, kind: str) -> forms.Widget:
    if key.endswith("business_scope"):
        return forms.Textarea(attrs={"rows": 3})
    if kind == prefill.FieldKind.DATE:
        return forms.TextInput(attrs={"type": "date"})
    if kind == prefill.FieldKind.AMOUNT:
        return forms.TextInput(attrs={"inputmode": "decimal"})
    if kind == prefill.FieldKind.INTEGER:
        return forms.TextInput(attrs={"inputmode": "numeric"})
    return forms.TextInput()


class ValuesForm(forms.Form):
    """One input per field of the application, initially what the sources gave.

    Nothing is required here, so a half-finished draft can be saved; what a
    submission needs is decided by the services' completeness check.
    """

    def __init__(self, *args, rows, **kwargs):
        super().__init__(*args, **kwargs)
        specs = prefill.field_specs()
        self.keys: dict[str, str] = {}
        for row in rows:
            spec = specs.get(row.field, (None,))[0]
            name = value_field_name(row.field)
            self.fields[name] = forms.CharField(
                label=spec.label if spec else row.field,
                required=False,
                strip=False,
                initial=row.value,
                widget=_value_widget(row.field, spec.kind if spec else prefill.FieldKind.TEXT),
            )
            self.fields[name].mandatory = bool(spec and spec.required)
            self.keys[name] = row.field

    def values(self) -> dict[str, str]:
        """The posted values by field key; a field missing from the POST is left as it is."""
        return {
            self.keys[name]: self.cleaned_data[name]
            for name in self.keys
            if name in self.data and name in self.cleaned_data
        }


class UploadForm(forms.Form):
    # The type is checked from the content by the service; `accept` only
    # helps the browser's file picker.
    file = forms.FileField(
        label=_("File"),
        widget=forms.FileInput(attrs={"accept": ACCEPTED_UPLOAD_TYPES}),
    )


class CommitmentForm(forms.Form):
    text = forms.CharField(
        label=_("Commitment"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Signed instead of proof (告知承诺制). It is checked after approval; "
            "a false commitment makes the permit revocable."
        ),
    )


class AnswerForm(forms.Form):
    answer = forms.CharField(
        label=_("Your answer to the correction notice"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Say what you changed; the window clerk reads it with the application."),
    )


class StatusFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All statuses")), *ApplicationStatus.choices],
    )
