from __future__ import annotations

import contextlib
from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.languages import language_choices
from accounts.models import User
from chat import ratelimit
from chat.exceptions import RateLimited


class ThrottledForm:
    """A form whose submissions are held to rate limits (chat/ratelimit.py).

    ``retry_after`` is set, in whole seconds, when a limit refused the submission;
    the view answers 429 with it."""

    retry_after: int | None = None

    def throttled_message(self, seconds: int) -> str:
        raise NotImplementedError

    def limit(self, action: str, who: str, *, spend: bool = True) -> None:
        """Spend one token of ``who``'s bucket for ``action`` (or, with ``spend=False``,
        only make sure one is left), or raise a non-field ValidationError (code
        "throttled") saying how long to wait."""
        try:
            ratelimit.check_sync(action, who, spend=spend)
        except RateLimited as error:
            self.retry_after = error.whole_seconds
            raise forms.ValidationError(
                self.throttled_message(self.retry_after),
                code="throttled",
                params={"seconds": self.retry_after},
            ) from None


class LoginForm(ThrottledForm, AuthenticationForm):
    """Django's sign-in form, limited per username (case-insensitive) and per address.

    Failed attempts spend the tokens; while either bucket is empty, attempts are
    refused before the password is checked, so a right guess is refused too.
    Successful sign-ins spend nothing: an office behind one address signs in
    every morning without meeting the limit (settings.CHAT_RATE_LIMITS["login"]).
    """

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        if username is None or not self.cleaned_data.get("password"):
            return super().clean()
        buckets = [f"addr:{ratelimit.client_address(self.request)}", f"user:{username.casefold()}"]
        for who in buckets:
            self.limit("login", who, spend=False)
        try:
            return super().clean()
        except forms.ValidationError:
            for who in buckets:
                with contextlib.suppress(forms.ValidationError):
                    self.limit("login", who)
            self.retry_after = None  # this attempt was answered: wrong password, not throttled
            raise

    def throttled_message(self, seconds: int) -> str:
        return ngettext(
            "Too many failed sign-in attempts. Try again in %(seconds)d second.",
            "Too many failed sign-in attempts. Try again in %(seconds)d seconds.",
            seconds,
        )


class SignupForm(ThrottledForm, UserCreationForm):
    """Sign-up; every submission spends a token of its address's bucket, so one
    address cannot create accounts (or probe for taken names) in bulk."""

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username",)

    def __init__(self, *args: Any, address: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.address = address

    def clean(self) -> dict[str, Any] | None:
        self.limit("signup", f"addr:{self.address}")
        return super().clean()

    def throttled_message(self, seconds: int) -> str:
        return ngettext(
            "Too many sign-ups from your address. Try again in %(seconds)d second.",
            "Too many sign-ups from your address. Try again in %(seconds)d seconds.",
            seconds,
        )


class ProfileForm(forms.ModelForm):
    language = forms.ChoiceField(
        label=_("Language"),
        required=False,
        help_text=_("The language of the chat's pages for you, wherever you sign in."),
    )

    class Meta:
        model = User
        fields = ("display_name", "language")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        language = self.fields["language"]
        assert isinstance(language, forms.ChoiceField)
        language.choices = [("", _("The browser's language")), *language_choices()]
