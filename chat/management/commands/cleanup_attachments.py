"""``manage.py cleanup_attachments``: remove uploads never sent, and stray stored files.

An upload not sent with a message within CHAT_UPLOAD_PENDING_HOURS (24 by
default) is removed, row and files. A stored file that no row names (its
process died between storing and recording it) is removed once it is that old.
Run it now and then (cron, a systemd timer); uploads also remove a few expired
ones each. Safe to run at any time, and on every server at once.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import ngettext

from chat import services
from chat.services.attachments import stray_files_delete


class Command(BaseCommand):
    help = "Remove uploads never sent with a message, and stored files that no upload names."

    def handle(self, *args: Any, **options: Any) -> None:
        expired = services.attachments_expire()
        stray = stray_files_delete()
        self.stdout.write(
            ngettext("Removed %(n)d upload never sent", "Removed %(n)d uploads never sent", expired)
            % {"n": expired}
            + "; "
            + ngettext("%(n)d stray file.", "%(n)d stray files.", stray) % {"n": stray}
        )
