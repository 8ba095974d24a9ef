"""Forms of signing up, logging in and resetting a password.

None of them says whether an account exists: sign-up checks only what was
typed (the address's form, the passwords), and the services decide the rest.
"""

from django import forms
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import get_user_model
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from approvals import accounts
from approvals.authentication import normalize_email


class SignUpForm(auth_forms.SetPasswordMixin, forms.Form):
    email = forms.EmailField(
        label=_("Email"),
        # The address becomes the username, which holds 150 characters.
        max_length=150,
        help_text=_(
            "You log in with it. Acceptance, correction requests and decisions are sent here."
        ),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    password1, password2 = auth_forms.SetPasswordMixin.create_password_fields()

    def clean_email(self):
        return normalize_email(self.cleaned_data["email"])

    def clean(self):
        self.validate_passwords()
        email = self.cleaned_data.get("email")
        if email:
            # Judged against the account it would become, never against one that exists.
            self.validate_password_for_user(get_user_model()(username=email, email=email))
        return self.cleaned_data


class LoginForm(auth_forms.AuthenticationForm):
    """Django's login form; the first field takes the email or the username."""

    error_messages = {
        **auth_forms.AuthenticationForm.error_messages,
        # One message for an unknown login, a wrong password and an account not yet activated.
        "invalid_login": _(
            "The email or username and the password do not match. The password is case-sensitive."
        ),
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = _("Email or username")
        self.fields["username"].max_length = 254
        self.fields["username"].widget.attrs["maxlength"] = 254


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's reset form, sending the window's bilingual mail in the page's language first."""

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        accounts.send_password_reset(
            user=context["user"],
            uidb64=context["uid"],
            token=context["token"],
            language=get_language(),
        )
