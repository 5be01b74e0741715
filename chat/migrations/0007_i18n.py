"""Chinese text (issue 10): a trigram index for message search on PostgreSQL.

Full-text search finds whole words, and Chinese has no spaces between them, so
chat.selectors.message_search looks for such words as parts of the body, with
ILIKE, which pg_trgm's GIN index (gin_trgm_ops) serves. The extension is made
first: the role that migrates needs CREATE on the database (pg_trgm is a trusted
extension), or a superuser makes it beforehand (CREATE EXTENSION pg_trgm), and
then this step leaves it as it is. The index is partial, like the search
(people's messages, not deleted), and built CONCURRENTLY so that a live chat
keeps writing meanwhile. On other databases (SQLite) both steps do nothing.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

INDEX = "chat_message_body_trgm"

CREATE = f"""
CREATE INDEX CONCURRENTLY IF NOT EXISTS {INDEX} ON chat_message
USING gin (body gin_trgm_ops)
WHERE deleted_at IS NULL AND author_id IS NOT NULL
"""

DROP = f"DROP INDEX CONCURRENTLY IF EXISTS {INDEX}"


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run inside a transaction.
    atomic = False

    dependencies = [
        ("chat", "0006_webhooks"),
    ]

    operations = [
        TrigramExtension(),
        migrations.RunPython(_on_postgresql(CREATE), _on_postgresql(DROP)),
    ]
