"""Users, rooms, memberships, messages and signed-in sessions, in bulk, for tests and the bench.

Run as a subprocess with a server's environment (it writes to that database):

    python -m tests.provisioning SPEC.json OUT.json

SPEC: ``{"usernames": [...]}`` or ``{"users": N}`` (named ``bench00000``, ...),
``"rooms": [{"slug", "name", "members": [user index, ...]}]`` (the first member
creates the room, through ``chat.services.room_create``, so its creator, role
and ``last_seq`` are right) and ``"messages": {"slug": count}`` (stored messages
by the room's creator). OUT: ``{"users": [{"username", "id", "session_key"}],
"rooms": [{"slug", "members"}], "seconds"}``.

Everything goes through the ORM in bulk, so 10,000 users take seconds: one
password hash is computed and shared, and sessions are rows of
``django.contrib.sessions`` written as a login would write them.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

BACKEND = "django.contrib.auth.backends.ModelBackend"
PASSWORD = "provisioned-pass-1"


def provision(spec: dict[str, Any]) -> dict[str, Any]:
    import django

    django.setup()

    from django.conf import settings
    from django.contrib.auth.hashers import make_password
    from django.contrib.sessions.backends.base import VALID_KEY_CHARS
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.db import transaction
    from django.utils import timezone
    from django.utils.crypto import get_random_string

    from accounts.models import User
    from chat import services
    from chat.models import Membership, Message, Room
    from chat.rendering import render_body

    started = time.monotonic()
    names = list(spec.get("usernames") or [f"bench{n:05d}" for n in range(int(spec.get("users", 0)))])
    # One hash for everyone: hashing 10,000 passwords would take minutes.
    password = make_password(PASSWORD)
    with transaction.atomic():
        User.objects.bulk_create(
            [User(username=name, password=password, display_name=name.capitalize()) for name in names],
            batch_size=2000,
        )
    by_name = {user.username: user for user in User.objects.filter(username__in=names)}
    users = [by_name[name] for name in names]

    store = SessionStore()
    expires = timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE)
    keys = [get_random_string(32, VALID_KEY_CHARS) for _ in users]
    with transaction.atomic():
        Session.objects.bulk_create(
            [
                Session(
                    session_key=key,
                    session_data=store.encode(
                        {
                            "_auth_user_id": str(user.pk),
                            "_auth_user_backend": BACKEND,
                            "_auth_user_hash": user.get_session_auth_hash(),
                        }
                    ),
                    expire_date=expires,
                )
                for key, user in zip(keys, users, strict=True)
            ],
            batch_size=2000,
        )

    def fill(room: Room, author: User, count: int) -> None:
        """Give ``room`` ``count`` stored messages after its last, as if ``author`` posted them."""
        start = room.last_seq
        bodies = [f"Message {n}: the quick brown fox jumps over the lazy dog." for n in range(count)]
        with transaction.atomic():
            Message.objects.bulk_create(
                [
                    Message(
                        room=room,
                        seq=start + n + 1,
                        author=author,
                        body=body,
                        html=render_body(body, ()),
                        client_id=f"provision-{n}",
                    )
                    for n, body in enumerate(bodies)
                ],
                batch_size=1000,
            )
            Room.objects.filter(pk=room.pk).update(last_seq=start + count)
            Membership.objects.filter(room=room, user=author).update(last_read_seq=start + count)

    rooms_out = []
    for room_spec in spec.get("rooms", []):
        members = list(room_spec["members"])
        creator = users[members[0]]
        room = services.room_create(
            creator=creator, name=room_spec.get("name") or room_spec["slug"], slug=room_spec["slug"]
        )
        with transaction.atomic():
            Membership.objects.bulk_create(
                [Membership(room=room, user=users[n]) for n in members[1:]], batch_size=2000
            )
        wanted = int(spec.get("messages", {}).get(room.slug, 0))
        if wanted:
            fill(room, creator, wanted)
        rooms_out.append({"slug": room.slug, "members": members})

    return {
        "users": [
            {"username": user.username, "id": user.pk, "session_key": key}
            for user, key in zip(users, keys, strict=True)
        ],
        "rooms": rooms_out,
        "seconds": round(time.monotonic() - started, 2),
    }


def main(argv: list[str]) -> int:
    spec_path, out_path = Path(argv[0]), Path(argv[1])
    result = provision(json.loads(spec_path.read_text()))
    out_path.write_text(json.dumps(result))
    print(
        f"provisioned {len(result['users'])} users and {len(result['rooms'])} rooms in {result['seconds']} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
