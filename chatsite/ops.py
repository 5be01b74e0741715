"""What operators and load balancers ask a process: is it alive, is it ready, how is it doing.

- ``/healthz``: the process answers (liveness). Touches nothing else.
- ``/readyz``: the database and Redis answer (readiness); 503 names what failed.
- ``/metrics``: Prometheus text for site staff, or with ``Authorization: Bearer
  <CHAT_METRICS_TOKEN>``.

Also the error pages: a database that cannot be reached is a friendly 503
that asks to retry, not a stack trace or a bare 500.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import sys

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.views.decorators.cache import never_cache
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from chat.realtime import metrics, redis_conf
from chatsite.middleware import database_unavailable_response

logger = logging.getLogger(__name__)

PROBE_TIMEOUT = 2.0


@never_cache
async def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok\n", content_type="text/plain")


def _database_answers() -> None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    finally:
        connection.close()


async def _check_database() -> str:
    try:
        # Its own thread: a probe must not queue behind the sockets' database work.
        async with asyncio.timeout(PROBE_TIMEOUT):
            await sync_to_async(_database_answers, thread_sensitive=False)()
    except TimeoutError:
        return "timeout"
    except DatabaseError as error:
        return f"error: {error.__class__.__name__}"
    return "ok"


async def _check_redis() -> str:
    if not settings.REDIS_URL:
        return "not configured"
    client = redis_conf.async_client(settings.REDIS_URL, timeout=PROBE_TIMEOUT, max_connections=1)
    try:
        async with asyncio.timeout(PROBE_TIMEOUT):
            await client.ping()
    except Exception as error:
        return f"error: {error.__class__.__name__}"
    finally:
        await client.aclose()
    return "ok"


@never_cache
async def readyz(request: HttpRequest) -> JsonResponse:
    database, redis = await asyncio.gather(_check_database(), _check_redis())
    ready = database == "ok" and redis in {"ok", "not configured"}
    return JsonResponse({"ready": ready, "database": database, "redis": redis}, status=200 if ready else 503)


def _may_read_metrics(request: HttpRequest) -> bool:
    token = settings.CHAT_METRICS_TOKEN
    given = request.headers.get("Authorization", "")
    if token and given.startswith("Bearer ") and hmac.compare_digest(given[7:].encode(), token.encode()):
        return True
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated and user.is_active and user.is_staff)


@never_cache
def metrics_view(request: HttpRequest) -> HttpResponse:
    if not _may_read_metrics(request):
        return HttpResponse("Forbidden\n", status=403, content_type="text/plain")
    return HttpResponse(generate_latest(metrics.REGISTRY), content_type=CONTENT_TYPE_LATEST)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: what the user sees when a page fails outside a view (in a middleware,
    say). A database that cannot be reached is the 503 page; anything else a plain
    apology. Neither touches the database, which may be what failed."""
    if isinstance(sys.exc_info()[1], DatabaseError):
        return database_unavailable_response()
    return HttpResponse(loader.render_to_string("errors/500.html"), status=500)
