"""A GIN index for message search on PostgreSQL (chat.selectors.message_search).

Its expression is the one ``SearchVector("body", config="simple")`` compiles to, so
the planner can use it; partial, like the search (people's messages, not deleted).
Built CONCURRENTLY so that a live chat keeps writing messages meanwhile. Other
databases (SQLite) search without it, so there it does nothing.
"""

from django.db import migrations

INDEX = "chat_message_body_search"

CREATE = f"""
CREATE INDEX CONCURRENTLY IF NOT EXISTS {INDEX} ON chat_message
USING gin (to_tsvector('simple'::regconfig, COALESCE(body, '')))
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
        ("chat", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(_on_postgresql(CREATE), _on_postgresql(DROP)),
    ]
