"""Forms of the official screens: they shape input for the services and carry
the services' errors back beside the inputs they concern.

No rule of the approval process lives here (the services decide); a form
only checks what the official typed is usable, and composes the texts the
services store: the items of a correction request, the reasons of a
rejection.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date

from django import forms
from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from approvals import clock, timekeeping
from approvals import reasons as rejection_reasons
from approvals.models import ApplicationMaterial, RejectionReason, SatisfiedBy
from approvals.services import Deferral

# What the services accept; longer input is refused here with a message
# rather than silently cut by the service.
MAX_ITEMS = 50
MAX_TEXT = 4000


def in_every_language(render: Callable[[], str]) -> str:
    """A text stored for the investor, who may read either language: "中文 / English".

    `render` is called once per language with that language active, so
    gettext and the catalogue's bilingual names both follow it.
    """
    parts = []
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            parts.append(str(render()))
    return " / ".join(dict.fromkeys(parts))


def _date_input() -> forms.DateInput:
    return forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


class AcceptForm(forms.Form):
    """Accept at the window, with each outstanding material deferred to a due date.

    A material is outstanding when the investor asked to hand it in later
    (or has not handed it in and the service allows a deferral). The clerk
    confirms each deferral with its checkbox; leaving one unticked means the
    case cannot be accepted as it is and must be returned instead.
    """

    def __init__(
        self,
        *args,
        materials: Iterable[ApplicationMaterial],
        now=None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        now = now or clock.now()
        self.today: date = timezone.localdate(now)
        self.outstanding = [
            row
            for row in materials
            if row.material.allow_deferral
            and row.satisfied_by in (SatisfiedBy.MISSING, SatisfiedBy.DEFERRAL)
        ]
        for row in self.outstanding:
            code, name = row.material.code, row.material.name
            default_due = timekeeping.deadline_after(now, row.material.deferral_days).date()
            self.fields[f"defer_{code}"] = forms.BooleanField(
                required=False,
                initial=row.satisfied_by == SatisfiedBy.DEFERRAL,
                label=_("Accept without “%(name)s” for now") % {"name": name},
            )
            self.fields[f"due_{code}"] = forms.DateField(
                required=False,
                initial=row.due_date or default_due,
                input_formats=["%Y-%m-%d"],
                widget=_date_input(),
                label=_("Due date for “%(name)s”") % {"name": name},
                help_text=ngettext(
                    "Default: %(days)s working day from today (%(date)s).",
                    "Default: %(days)s working days from today (%(date)s).",
                    row.material.deferral_days,
                )
                % {"days": row.material.deferral_days, "date": default_due.isoformat()},
            )

    def deferral_rows(self):
        """(material row, checkbox, due date) for the template, in the service's order."""
        return [
            (row, self[f"defer_{row.material.code}"], self[f"due_{row.material.code}"])
            for row in self.outstanding
        ]

    def clean(self):
        cleaned = super().clean()
        for row in self.outstanding:
            code = row.material.code
            if not cleaned.get(f"defer_{code}"):
                self.add_error(
                    f"defer_{code}",
                    _(
                        "“%(name)s” has not been handed in: accept it as deferred, "
                        "or return the application."
                    )
                    % {"name": row.material.name},
                )
            due = cleaned.get(f"due_{code}")
            if due is not None and due <= self.today:
                self.add_error(f"due_{code}", _("The due date must be after today."))
        return cleaned

    def deferrals(self) -> list[Deferral]:
        return [
            Deferral(row.material.code, self.cleaned_data.get(f"due_{row.material.code}"))
            for row in self.outstanding
            if self.cleaned_data.get(f"defer_{row.material.code}")
        ]

    def field_for(self, key: str) -> str | None:
        if key.startswith("material:"):
            return f"due_{key.removeprefix('material:')}"
        return None


class ReturnForm(forms.Form):
    """Return for correction: everything the investor must fix, in one notice."""

    missing = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=gettext_lazy("Materials missing or unclear"),
        help_text=gettext_lazy("Each ticked material becomes an item of the notice."),
    )
    items = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        label=gettext_lazy("What the investor must correct"),
        help_text=gettext_lazy("One item per line."),
    )
    note = forms.CharField(
        required=False,
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
        label=gettext_lazy("Note to the investor"),
    )

    def __init__(self, *args, materials: Iterable[ApplicationMaterial], **kwargs):
        super().__init__(*args, **kwargs)
        self.materials = {row.material.code: row.material for row in materials}
        self.fields["missing"].choices = [(c, m.name) for c, m in self.materials.items()]

    def clean(self):
        cleaned = super().clean()
        typed = [line.strip() for line in cleaned.get("items", "").splitlines() if line.strip()]
        picked = [
            in_every_language(
                lambda m=self.materials[code]: _("%(name)s: missing or unclear") % {"name": m.name}
            )
            for code in cleaned.get("missing", [])
        ]
        item_list = picked + typed
        if not item_list:
            self.add_error(
                "items",
                _("List at least one thing the investor must correct, or tick a material."),
            )
        elif len(item_list) > MAX_ITEMS:
            self.add_error("items", _("At most %(n)s items in one notice.") % {"n": MAX_ITEMS})
        cleaned["item_list"] = item_list
        return cleaned

    @staticmethod
    def field_for(key: str) -> str | None:
        if key == "items":
            return "items"
        if key.startswith("material:"):
            return "missing"
        return None


class RevokeForm(forms.Form):
    reason = forms.CharField(
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
        label=gettext_lazy("Reason for revoking"),
        help_text=gettext_lazy(
            "For example: a commitment made when applying was found to be false. "
            "The holder and anyone verifying the permit will see that it is revoked."
        ),
    )

    @staticmethod
    def field_for(key: str) -> str | None:
        return "reason" if key == "reason" else None


class ApproveForm(forms.Form):
    remarks = forms.CharField(
        required=False,
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 2}),
        label=gettext_lazy("Remarks (optional)"),
    )

    @staticmethod
    def field_for(key: str) -> str | None:
        return None


class ReasonChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: RejectionReason) -> str:
        return obj.text


class RejectForm(forms.Form):
    """Reject with reasons picked from the catalogue, plus free text."""

    reasons = ReasonChoiceField(
        queryset=RejectionReason.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=gettext_lazy("Reasons for rejecting"),
    )
    further = forms.CharField(
        required=False,
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
        label=gettext_lazy("Further reasons, in your own words"),
        help_text=gettext_lazy("The investor reads these reasons with the decision."),
    )

    def __init__(self, *args, department, **kwargs):
        super().__init__(*args, **kwargs)
        # Only what the department may give can be picked (approvals.reasons):
        # anything else posted is refused by the field itself.
        self.fields["reasons"].queryset = rejection_reasons.offered_by(department)

    def clean(self):
        cleaned = super().clean()
        nothing = not cleaned.get("reasons") and not cleaned.get("further", "").strip()
        if nothing and "reasons" not in self.errors:
            self.add_error(
                "reasons", _("Pick at least one reason from the list, or write one below.")
            )
        return cleaned

    @staticmethod
    def field_for(key: str) -> str | None:
        return "reasons" if key == "reasons" else None


class OverdueFilterForm(forms.Form):
    department = forms.ChoiceField(required=False, label=gettext_lazy("Department"), choices=())

    def __init__(self, *args, departments, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = [("", _("All departments"))] + [
            (d.code, d.name) for d in departments
        ]
