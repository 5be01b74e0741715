from django import forms
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from chat.models import Room
from chat.services.rooms import DIRECT_SLUG_PREFIX, RoomNameTaken, room_name_check, slug_is_reserved


class RoomForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    slug = forms.SlugField(
        label=_("Address"),
        max_length=64,
        required=False,
        help_text=_("Letters, digits and hyphens; made from the name when left empty."),
    )
    topic = forms.CharField(label=_("Topic"), max_length=250, required=False)
    is_private = forms.BooleanField(
        label=_("Private"),
        required=False,
        help_text=_("Only members see a private room; a room admin adds them."),
    )

    def clean_name(self) -> str:
        # The service refuses it too; here the refusal sits beside the field.
        try:
            return room_name_check(name=self.cleaned_data["name"])
        except RoomNameTaken as error:
            raise forms.ValidationError(error.message, code=error.code) from None

    def clean_slug(self) -> str:
        slug = slugify(self.cleaned_data["slug"])
        if slug and Room.objects.filter(slug=slug).exists():
            raise forms.ValidationError(_("This address is taken."))
        if slug_is_reserved(slug):
            raise forms.ValidationError(
                _("Addresses starting with “%(prefix)s” are kept for direct messages.")
                % {"prefix": DIRECT_SLUG_PREFIX}
            )
        return slug


class AddMemberForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)


class DirectForm(forms.Form):
    """Whom to open a direct conversation with."""

    username = forms.CharField(label=_("Message someone"), max_length=150)


SEARCH_QUERY_MAX = 200
SEARCH_PAGE_MAX = 1000  # deeper pages cost a long scan and nobody reads them


class PageForm(forms.Form):
    """``?page=N`` of a paged list of messages (the mentions page)."""

    page = forms.IntegerField(min_value=1, max_value=SEARCH_PAGE_MAX, required=False)


class SearchForm(forms.Form):
    # A CharField refuses a NUL by itself (PostgreSQL could not take it in a query).
    q = forms.CharField(label=_("Search messages"), max_length=SEARCH_QUERY_MAX, required=False)
    page = forms.IntegerField(min_value=1, max_value=SEARCH_PAGE_MAX, required=False)
