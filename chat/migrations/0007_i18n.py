"""Chinese and English (issue 10): system notes stored as events, and a trigram
index for message search on PostgreSQL.

System notes ("Bob joined.") were stored as English sentences; now a note is its
event (``Message.event``: kind and user, chat.notes), which each reader's client
writes in their language, with the English sentence kept as ``body``. The notes
already stored are read back into events: the four sentences the chat wrote,
naming the person by their shown name then. The one user so named now (display
name, or username when they have none) gives the username; a name that fits no
one, or several, keeps the name with a null username. A body that is none of
the four stays as it was, without an event.

Full-text search finds whole words, and Chinese has no spaces between them, so
chat.selectors.message_search looks for such words as parts of the body, with
ILIKE, which pg_trgm's GIN index (gin_trgm_ops) serves. The extension is made
first: the role that migrates needs CREATE on the database (pg_trgm is a trusted
extension), or a superuser makes it beforehand (CREATE EXTENSION pg_trgm), and
then this step leaves it as it is (and unapplying it leaves it too). The index is partial, like the search
(people's messages, not deleted), and built CONCURRENTLY so that a live chat
keeps writing meanwhile. On other databases (SQLite) both steps do nothing.
"""

import re

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations, models, transaction

INDEX = "chat_message_body_trgm"

CREATE = f"""
CREATE INDEX CONCURRENTLY IF NOT EXISTS {INDEX} ON chat_message
USING gin (body gin_trgm_ops)
WHERE deleted_at IS NULL AND author_id IS NOT NULL
"""

DROP = f"DROP INDEX CONCURRENTLY IF EXISTS {INDEX}"

# The sentences system notes were stored as (chat.services before events), by kind.
SENTENCES = [
    ("joined", re.compile(r"(?P<name>.+) joined\.", re.S)),
    ("left", re.compile(r"(?P<name>.+) left\.", re.S)),
    ("added", re.compile(r"(?P<name>.+) was added\.", re.S)),
    ("removed", re.compile(r"(?P<name>.+) was removed\.", re.S)),
]


class TrigramExtensionKept(TrigramExtension):
    """Django's TrigramExtension (made on PostgreSQL only), left in place when the
    migration is unapplied: something else may use it, and Django's own reverse
    asks PostgreSQL's catalog on any database (so fails on SQLite)."""

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        pass


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


def _event_of(body, username_for):
    for kind, sentence in SENTENCES:
        match = sentence.fullmatch(body)
        if match:
            name = match["name"]
            return {"kind": kind, "user": {"username": username_for(name), "display_name": name}}
    return None


def notes_to_events(apps, schema_editor):
    Message = apps.get_model("chat", "Message")
    User = apps.get_model("accounts", "User")
    found = {}

    def username_for(name):
        if name not in found:
            named = User.objects.filter(models.Q(display_name=name) | models.Q(display_name="", username=name))
            usernames = list(named.values_list("username", flat=True)[:2])
            found[name] = usernames[0] if len(usernames) == 1 else None
        return found[name]

    notes = Message.objects.filter(author__isnull=True, event__isnull=True, deleted_at__isnull=True)
    with transaction.atomic(using=schema_editor.connection.alias):
        batch = []
        for message in notes.only("pk", "body").iterator(chunk_size=1000):
            message.event = _event_of(message.body, username_for)
            if message.event is not None:
                batch.append(message)
            if len(batch) >= 1000:
                Message.objects.bulk_update(batch, ["event"])
                batch = []
        Message.objects.bulk_update(batch, ["event"])


def events_to_notes(apps, schema_editor):
    """Backwards: the bodies are still there; the column goes with the field."""


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run inside a transaction (the data step has its own).
    atomic = False

    dependencies = [
        ("accounts", "0004_user_language"),
        ("chat", "0006_webhooks"),
    ]

    operations = [
        migrations.AddField(
            model_name="message",
            name="event",
            field=models.JSONField(blank=True, editable=False, null=True, verbose_name="event"),
        ),
        migrations.RunPython(notes_to_events, events_to_notes),
        TrigramExtensionKept(),
        migrations.RunPython(_on_postgresql(CREATE), _on_postgresql(DROP)),
    ]
