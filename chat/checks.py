"""System checks (``manage.py check``) for the settings the chat relies on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security)
def media_is_not_served_as_static(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """Uploaded files must be reachable only through the chat's file views, which check
    membership: MEDIA_ROOT inside a folder that the static files are served from (or
    collected from) would hand every upload to anyone who guesses its name."""
    media = Path(settings.MEDIA_ROOT).resolve()
    served = [Path(settings.STATIC_ROOT)] if settings.STATIC_ROOT else []
    served += [
        Path(entry[1] if isinstance(entry, tuple | list) else entry) for entry in settings.STATICFILES_DIRS
    ]
    served += [Path(config.path) / "static" for config in apps.get_app_configs()]
    errors = []
    for folder in served:
        folder = folder.resolve()
        if media == folder or folder in media.parents or media in folder.parents:
            errors.append(
                Error(
                    f"MEDIA_ROOT ({media}) and the static files folder {folder} overlap: uploads "
                    "would be served to anyone, without the membership check.",
                    hint="Point MEDIA_ROOT at a folder of its own, outside the static folders.",
                    id="chat.E001",
                )
            )
    return errors
