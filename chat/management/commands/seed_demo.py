"""``manage.py seed_demo``: two demo users, a few rooms and welcome messages.

The rooms include #general and every other default room (settings.CHAT_DEFAULT_ROOMS),
each created when missing, so a user who signs up finds them.

Safe to run again and again: users are only created when missing, rooms are
looked up by slug, joins and adds are no-ops for members, the direct room is
found by its pair, and every message has a fixed ``client_id``, which
``services.message_create`` stores once. All writes go through chat.services,
so the same events reach any open socket.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from accounts.models import User
from chat import selectors, services
from chat.exceptions import ChatError
from chat.models import Room
from chat.services.onboarding import default_room_slugs, user_onboard

DEFAULT_BASE_URL = "http://127.0.0.1:8000"
ADMIN_USERNAME = "admin"
ADMIN_PASSWORD = "admin-demo-pass"


@dataclass(frozen=True)
class DemoUser:
    username: str
    password: str
    display_name: str


ALICE = DemoUser("alice", "alice-demo-pass", "Alice")
BOB = DemoUser("bob", "bob-demo-pass", "Bob")


@dataclass(frozen=True)
class DemoRoom:
    slug: str
    name: str
    topic: str
    is_private: bool = False


GENERAL = DemoRoom("general", "General", "Anything and everything")
RANDOM = DemoRoom("random", "Random", "Links, jokes and off-topic chatter")
DESIGN = DemoRoom("design", "Design", "Alice's private sketchbook", is_private=True)


class Command(BaseCommand):
    help = "Create the demo users alice and bob, a few rooms and welcome messages (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--base-url",
            default=DEFAULT_BASE_URL,
            help="Where the chat is served, for the login instructions (default: %(default)s).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        alice = self._user(ALICE)
        bob = self._user(BOB)

        general = self._room(alice, GENERAL)
        random_room = self._room(alice, RANDOM)
        design = self._room(alice, DESIGN)
        if general is not None:
            # The creator is a member already; joining again is harmless.
            self._step(services.room_join, user=alice, room_slug=general.slug)
            self._step(services.room_join, user=bob, room_slug=general.slug)
        if random_room is not None:
            self._step(services.room_join, user=alice, room_slug=random_room.slug)
            # Bob is added by a room admin rather than joining himself, to show both ways in.
            self._step(services.membership_add, actor=alice, room=random_room, user=bob)
        # The site's other default rooms (settings.CHAT_DEFAULT_ROOMS), which the demo
        # users join as a new user would.
        for slug in default_room_slugs():
            self._room(alice, DemoRoom(slug, slug.replace("-", " ").capitalize(), ""))
        for user in (alice, bob):
            user_onboard(user=user)
        direct = self._step(services.direct_room_open, user=alice, other=bob)

        welcome = [
            (alice, general, "seed-general-1", _("Welcome to the demo chat, @bob! Messages appear live.")),
            (bob, general, "seed-general-2", _("Hi @alice! Open a second browser to watch them arrive.")),
            (bob, random_room, "seed-random-1", _("Links are clickable: https://www.djangoproject.com/")),
            (alice, design, "seed-design-1", _("Only I can see this room; a room admin adds members.")),
            (alice, direct, "seed-direct-1", _("This is our direct conversation, just the two of us.")),
        ]
        for author, room, client_id, body in welcome:
            if room is not None:
                self._step(
                    services.message_create, user=author, room_slug=room.slug, body=body, client_id=client_id
                )

        admin_created = self._admin() if settings.DEBUG else None
        self._print_instructions(options["base_url"].rstrip("/"), admin_created)

    # Steps -------------------------------------------------------------------

    def _user(self, demo: DemoUser) -> User:
        """The demo user, created with its password when missing (left alone otherwise)."""
        user_model = get_user_model()
        user = user_model.objects.filter(username=demo.username).first()
        if user is None:
            user = user_model.objects.create_user(
                username=demo.username, password=demo.password, display_name=demo.display_name
            )
            self.stdout.write(_("Created user %(name)s.") % {"name": demo.username})
        return user

    def _room(self, creator: User, demo: DemoRoom) -> Room | None:
        room = selectors.room_by_slug(demo.slug)
        if room is not None:
            return room
        room = self._step(
            services.room_create,
            creator=creator,
            name=demo.name,
            slug=demo.slug,
            topic=demo.topic,
            is_private=demo.is_private,
        )
        if room is not None:
            self.stdout.write(_("Created room #%(slug)s.") % {"slug": room.slug})
        return room

    def _admin(self) -> bool:
        """Create the local superuser (DEBUG only); True if it was created now."""
        user_model = get_user_model()
        if user_model.objects.filter(username=ADMIN_USERNAME).exists():
            return False
        user_model.objects.create_superuser(username=ADMIN_USERNAME, email="", password=ADMIN_PASSWORD)
        self.stdout.write(_("Created superuser %(name)s.") % {"name": ADMIN_USERNAME})
        return True

    def _step(self, service: Any, **kwargs: Any) -> Any:
        """Run one service call; a refusal (say, an archived room) is reported, not fatal."""
        try:
            return service(**kwargs)
        except ChatError as error:
            self.stderr.write(
                _("Skipped %(step)s: %(reason)s") % {"step": service.__name__, "reason": error.message}
            )
            return None

    # Output ------------------------------------------------------------------

    def _print_instructions(self, base_url: str, admin_created: bool | None) -> None:
        lines = [
            "",
            _("Demo ready. Log in at %(url)s/accounts/login/ as:") % {"url": base_url},
        ]
        for demo in (ALICE, BOB):
            lines.append(
                _("  %(username)s / %(password)s") % {"username": demo.username, "password": demo.password}
            )
        lines.append(_("Use two browsers (or a private window) to be both at once."))
        if admin_created is None:
            lines.append(_("No admin account was created because DEBUG is off; use createsuperuser."))
        else:
            lines.append(
                _("Admin (DEBUG only): %(url)s/admin/ as %(username)s / %(password)s")
                % {"url": base_url, "username": ADMIN_USERNAME, "password": ADMIN_PASSWORD}
            )
        lines.append(_("Passwords are only set when a user is first created."))
        self.stdout.write("\n".join(lines))
