"""Hot reads, written as QuerySets and compiled to SQL once per process.

Building and compiling a QuerySet costs far more than running it: measured on
the room page's reads (SQLite, one user in one room), 190 to 430 µs each,
against 15 µs for the same SQL through a cursor. The room page, the room list
and every socket's ``hello`` make these reads on every request, so a few of
them (selectors.py says which) are defined here once, as the ORM query they
are, and only their parameters change from call to call.

``CompiledQuery(build, *samples)`` calls ``build(*samples)`` once per database
connection's backend and compiles the ``values_list()`` QuerySet it returns.
Each sample must appear exactly once among the SQL's parameters: a call puts
its own values in their places and keeps the others (the query's constants).
Pick samples that cannot occur by chance, such as negative ids. Rows come back
as the QuerySet would give them: the backend's converters (SQLite's booleans
and times) are applied.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from django.db import connections
from django.db.models import QuerySet

# A sample for an id: it stands in the SQL while it compiles, and is never run.
SAMPLE_ID = 1_234_567_891


def _stands_for(param: Any, sample: Any) -> bool:
    """Whether a compiled query's parameter is ``sample`` (perhaps wrapped by the backend,
    as a subclass of its type; never a boolean standing for a number)."""
    return (
        isinstance(param, type(sample))
        and isinstance(param, bool) == isinstance(sample, bool)
        and param == sample
    )


class CompiledQuery:
    def __init__(self, build: Callable[..., QuerySet[Any]], *samples: Any) -> None:
        self.build = build
        self.samples = samples
        self._compiled: dict[str, tuple[str, list[Any], list[tuple[int, type]], Any, list[Any]]] = {}
        self._lock = threading.Lock()

    def _compile(self, alias: str) -> tuple[str, list[Any], list[tuple[int, type]], Any, list[Any]]:
        queryset = self.build(*self.samples)
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        params = list(params)
        slots = []
        for sample in self.samples:
            found = [index for index, param in enumerate(params) if _stands_for(param, sample)]
            if len(found) != 1:
                raise ValueError(
                    f"{self.build.__qualname__}: the sample {sample!r} is {len(found)} of the query's "
                    f"parameters {tuple(params)!r}, not one"
                )
            # The backend may have wrapped it (psycopg's Int8 for a big integer): so is each value.
            slots.append((found[0], type(params[found[0]])))
        converters = compiler.get_converters([expression for expression, _sql, _alias in compiler.select])
        return sql, params, slots, compiler, converters

    def rows(self, *args: Any, using: str = "default") -> list[tuple[Any, ...]]:
        if len(args) != len(self.samples):
            raise TypeError(f"{self.build.__qualname__} takes {len(self.samples)} parameters")
        connection = connections[using]
        key = f"{using}:{connection.vendor}"
        compiled = self._compiled.get(key)
        if compiled is None:
            with self._lock:
                compiled = self._compiled.setdefault(key, self._compile(using))
        sql, params, slots, compiler, converters = compiled
        params = list(params)
        for (slot, wrapper), value in zip(slots, args, strict=True):
            params[slot] = value if type(value) is wrapper else wrapper(value)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows: Sequence[Any] = cursor.fetchall()
        if converters:
            return [tuple(row) for row in compiler.apply_converters(rows, converters)]
        return [tuple(row) for row in rows]

    def forget(self) -> None:
        """Compile again on next use (the tests change settings that the SQL depends on)."""
        self._compiled.clear()
