from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.languages import language_choices


class User(AbstractUser):
    """A chat user: Django's user with the name shown beside their messages."""

    display_name = models.CharField(_("display name"), max_length=64, blank=True)
    # A program, not a person: signs in with API tokens only, shown with a badge.
    is_bot = models.BooleanField(_("bot"), default=False)
    # The language of the interface for this user (accounts.languages); "" follows the browser.
    language = models.CharField(_("language"), max_length=16, blank=True, choices=language_choices)

    def __str__(self) -> str:
        return self.username

    @property
    def shown_name(self) -> str:
        return self.display_name or self.username


class ApiToken(models.Model):
    """A personal API token: what a script, a bot or the terminal client signs in with.

    Only a hash of the token is kept (the token is shown once, when it is made);
    a token is long and random, so one SHA-256 is enough to make a leaked table
    useless without making every request pay for a slow hash. ``prefix`` is its
    first characters, for telling tokens apart in lists.
    """

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=16, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
