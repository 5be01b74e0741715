"""Settings for the chat, read from the environment in one place.

Every setting has a safe local default except the secret key, which must be
given whenever DEBUG is off. See the configuration table in README.md.
"""

import os
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


_SIZE_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3}


def env_size(name: str, default: str) -> int:
    """A size in bytes: a whole number, or one followed by K, M or G (powers of 1,024)."""
    value = (os.environ.get(name) or default).strip().upper().removesuffix("B")
    number, unit = (value[:-1], value[-1]) if value[-1:] in _SIZE_UNITS else (value, "")
    if not number.isdigit():
        raise ImproperlyConfigured(f"{name} must be a size such as 10M, 512K or 1048576, not {value!r}.")
    return int(number) * _SIZE_UNITS[unit]


DEBUG = env_bool("DJANGO_DEBUG", default=False)

_DEV_SECRET_KEY = "django-insecure-dev-only-key-do-not-use-in-production"
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off (for local use, run with DJANGO_DEBUG=1)."
        )
    SECRET_KEY = _DEV_SECRET_KEY

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "accounts",
    "chat",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After the user is known: their choice of language comes before the browser's.
    "chatsite.middleware.UserLocaleMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "chatsite.middleware.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "chatsite.urls"

# Django's database sessions, read with SQL compiled once (chatsite/sessions.py).
SESSION_ENGINE = "chatsite.sessions"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
            # {% url %} as Django's, remembering what it reversed (chat/templatetags/memo.py).
            "builtins": ["chat.templatetags.memo"],
        },
    },
]

ASGI_APPLICATION = "chatsite.asgi.application"

# Database: SQLite in WAL mode by default, anything dj-database-url reads otherwise.
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
        }
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            # WAL lets readers run beside the one writer; IMMEDIATE takes the
            # write lock when a transaction starts, so two writers queue on
            # the busy timeout instead of failing to upgrade a read lock.
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )
    # Keep each thread's connection: opening one (and its PRAGMAs) costs more than a query.
    DATABASES["default"]["CONN_MAX_AGE"] = 600
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "chat:index"
LOGOUT_REDIRECT_URL = "login"

# The languages of the interface, each named in itself (the profile's choice). A
# user's choice wins, then the browser's Accept-Language, then LANGUAGE_CODE, also
# the language of what is stored for everyone (a system note's fallback text).
# Another language is one more entry and its translation files in locale/.
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", "English"),
    ("zh-hans", "简体中文"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "chatsite.storage.StaticStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG or env_bool("WHITENOISE_USE_FINDERS")

# Uploaded files (chat/uploads.py): stored through Django's storage API, in MEDIA_ROOT
# by default, or in an S3-compatible bucket when CHAT_S3_BUCKET is set (django-storages,
# requirements-s3.txt). Nothing serves MEDIA_ROOT directly: every file goes through
# chat/file_views.py, which checks the room's membership on every request.
MEDIA_ROOT = os.environ.get("MEDIA_ROOT") or str(BASE_DIR / "media")
MEDIA_URL = "/media/"  # routed nowhere; a request for it is a 404
CHAT_S3_BUCKET = os.environ.get("CHAT_S3_BUCKET", "")
if CHAT_S3_BUCKET:
    # Credentials come from boto3's own sources (AWS_ACCESS_KEY_ID and
    # AWS_SECRET_ACCESS_KEY, a profile, an instance role), never from here.
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": CHAT_S3_BUCKET,
            "endpoint_url": os.environ.get("CHAT_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("CHAT_S3_REGION") or None,
            "location": os.environ.get("CHAT_S3_PREFIX", ""),
            "addressing_style": os.environ.get("CHAT_S3_ADDRESSING_STYLE") or None,
            # Private objects, never overwritten; the chat streams them to members.
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
# Limits, each checked before any byte of an upload is stored: one file, the files of
# one message (at most CHAT_UPLOAD_MAX_FILES of them), and what one user uploads in
# any 24 hours.
CHAT_UPLOAD_MAX_FILE_SIZE = env_size("CHAT_UPLOAD_MAX_FILE_SIZE", "10M")
CHAT_UPLOAD_MAX_MESSAGE_SIZE = env_size("CHAT_UPLOAD_MAX_MESSAGE_SIZE", "25M")
CHAT_UPLOAD_MAX_DAILY_SIZE = env_size("CHAT_UPLOAD_MAX_DAILY_SIZE", "250M")
CHAT_UPLOAD_MAX_FILES = int(os.environ.get("CHAT_UPLOAD_MAX_FILES", "10"))
# Larger pictures are kept as plain files (no thumbnail): decoding costs memory and time.
CHAT_UPLOAD_MAX_PIXELS = int(os.environ.get("CHAT_UPLOAD_MAX_PIXELS", "50000000"))
# Uploads not sent with a message within this many hours are removed (python manage.py
# cleanup_attachments, and a few at each upload).
CHAT_UPLOAD_PENDING_HOURS = float(os.environ.get("CHAT_UPLOAD_PENDING_HOURS", "24"))
# Behind nginx: the internal location that serves MEDIA_ROOT (deploy/nginx.conf), e.g.
# /protected-files/. The chat then answers a download with X-Accel-Redirect and nginx
# sends the bytes; empty, the chat streams them itself.
CHAT_FILES_ACCEL_PREFIX = os.environ.get("CHAT_FILES_ACCEL_PREFIX", "")
# The largest request body the server reads (chatsite/pages.py): an upload of the largest
# file with its multipart framing, or a form (Django reads at most 2.5 MB of fields). A
# longer one is refused before it is read.
CHAT_MAX_REQUEST_BODY = max(CHAT_UPLOAD_MAX_FILE_SIZE, 2_621_440) + 64 * 1024

# Redis: unset for one process (events stay in it); set, the processes of one
# deployment hear each other's events through it and share the rate limits.
# redis://host:6379/0, or redis+sentinel://host:26379,host2:26379/SERVICE for a
# Sentinel set (chat/realtime/redis_conf.py).
REDIS_URL = os.environ.get("REDIS_URL", "")
# Namespaces every key and channel the chat uses in Redis, so deployments can share one.
CHAT_REDIS_PREFIX = os.environ.get("CHAT_REDIS_PREFIX", "chat")

# A token that lets Prometheus read /metrics (Authorization: Bearer ...); staff may always.
CHAT_METRICS_TOKEN = os.environ.get("CHAT_METRICS_TOKEN", "")

# Chat limits.
CHAT_SEND_RATE = float(os.environ.get("CHAT_SEND_RATE", "5"))
CHAT_SEND_BURST = int(os.environ.get("CHAT_SEND_BURST", "20"))
# Token buckets besides sending: action -> (tokens per second, burst). A rate of 0
# turns one off.
CHAT_RATE_LIMITS = {
    "edit": (1.0, 10),  # per user
    "delete": (1.0, 10),  # per user
    "join": (0.2, 5),  # per user: joining and leaving both post a system note
    "leave": (0.2, 5),
    "read": (5.0, 20),  # per user
    "mute": (1.0, 10),  # per user: muting and unmuting rooms
    "react": (2.0, 20),  # per user: reacting and taking a reaction back
    "upload": (1.0, 20),  # per user: files uploaded
    "webhook": (1.0, 20),  # per incoming webhook: posts it makes
    "typing": (0.5, 3),  # per user and room; over the limit it is dropped, silently
    "room_create": (1 / 60, 10),  # per user, and per address
    "signup": (1 / 60, 5),  # per address
    "login": (1 / 30, 10),  # failed attempts, per username and per address
}
# Open sockets per user; opening one more closes the user's oldest (close code 4409).
CHAT_MAX_SOCKETS_PER_USER = int(os.environ.get("CHAT_MAX_SOCKETS_PER_USER", "20"))
# Pages whose scripts may open the chat's socket, besides the site's own
# (scheme://host[:port], comma-separated).
CHAT_ALLOWED_ORIGINS = env_list("CHAT_ALLOWED_ORIGINS", "")
CHAT_MAX_BODY = int(os.environ.get("CHAT_MAX_BODY", "4000"))  # characters
CHAT_MAX_FRAME_BYTES = 64 * 1024
# Addresses of the public rooms every new user joins at sign-up (comma-separated;
# empty for none). One missing, private or archived is skipped.
CHAT_DEFAULT_ROOMS = env_list("CHAT_DEFAULT_ROOMS", "general")

# Presence: who is online (has an open socket anywhere), sent to the members of
# each room as `presence` frames. With Redis, each process renews its users'
# entries every third of CHAT_PRESENCE_TTL seconds; the users of a process that
# died drop out when their entries expire. A socket closed and reopened within
# CHAT_PRESENCE_GRACE seconds (a page reload) does not show its user offline.
CHAT_PRESENCE = env_bool("CHAT_PRESENCE", default=True)
CHAT_PRESENCE_TTL = float(os.environ.get("CHAT_PRESENCE_TTL", "20"))
CHAT_PRESENCE_GRACE = float(os.environ.get("CHAT_PRESENCE_GRACE", "2"))
# Rooms with more members than this get no presence frames: each is the room's whole
# list, to every member, at every change (quadratic in the room's size).
CHAT_PRESENCE_MAX_MEMBERS = int(os.environ.get("CHAT_PRESENCE_MAX_MEMBERS", "100"))

# HTTPS, on by default whenever DEBUG is off: the site is served over HTTPS by a
# proxy that ends TLS and sets X-Forwarded-Proto (overwriting any the client
# sent). Plain HTTP is redirected, browsers are told to come back over HTTPS
# only (HSTS), and the session and CSRF cookies never travel over plain HTTP.
# DJANGO_HTTPS=0 opts out, for a site served over plain HTTP on purpose.
_HTTPS = env_bool("DJANGO_HTTPS", default=not DEBUG)
if _HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    # Probes and Prometheus ask a process directly, over HTTP (paths in chatsite/urls.py).
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS") or 365 * 24 * 60 * 60)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", default=False)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # Preloading asks browser makers to hard-code the domain as HTTPS-only, which
    # takes months to undo: the operator's decision (DJANGO_HSTS_PRELOAD=1), so
    # without it check --deploy is not asked to recommend it.
    SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
else:
    # Plain HTTP by choice: no redirect, no HSTS, cookies over HTTP too. Silence
    # exactly the deploy checks about those four; every other check still speaks.
    SILENCED_SYSTEM_CHECKS = [
        "security.W004",  # SECURE_HSTS_SECONDS
        "security.W008",  # SECURE_SSL_REDIRECT
        "security.W012",  # SESSION_COOKIE_SECURE
        "security.W016",  # CSRF_COOKIE_SECURE
    ]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {"daphne": {"level": "WARNING"}, "uvicorn.error": {"level": "INFO"}},
}
