"""The session engine: Django's database sessions, read with SQL compiled once.

Every page and every socket reads its session by key first thing; as a
QuerySet that read cost 190 µs to build and compile against a few µs to run
(chat/compiled.py). This engine is Django's ``backends.db`` in every respect
(the same table, writes, expiry and cleanup) but that read: the row by its key,
expired ones taken as absent exactly as Django's ``expire_date__gt=now`` does.
"""

from __future__ import annotations

from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.utils import timezone

from chat.compiled import CompiledQuery

_SAMPLE_KEY = "compiled-query-sample-session-key"
_by_key = CompiledQuery(
    lambda key: Session.objects.filter(session_key=key).values_list("session_data", "expire_date"),
    _SAMPLE_KEY,
)


class SessionStore(db.SessionStore):
    def _get_session_from_db(self) -> Session | None:
        key = self.session_key
        if key:
            for data, expires in _by_key.rows(key):
                if expires > timezone.now():
                    return Session(session_key=key, session_data=data, expire_date=expires)
        self._session_key = None
        return None
