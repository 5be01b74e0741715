"""Settings of the baseline app: only what Channels needs.

The bench sets ``BENCH_REDIS_URL`` and ``BENCH_REDIS_PREFIX``; without them the
app falls back to a local Redis on the default port.
"""

import os

SECRET_KEY = "bench-baseline-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = ["channels"]
DATABASES: dict = {}
USE_TZ = True
ASGI_APPLICATION = "bench.baseline.asgi.application"

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            "hosts": [
                {
                    "address": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"),
                    # The same layer tuning as chatsite/settings.py, so that the
                    # ratio measures the chat's own work and not layer options.
                    # Without socket_timeout > 5 s, redis-py 8 times out the
                    # layer's 5 s BZPOPMIN and idle consumers die with 1011.
                    "socket_timeout": 15,
                    "socket_connect_timeout": 5,
                }
            ],
            "prefix": os.environ.get("BENCH_REDIS_PREFIX", "bench-baseline") + ":asgi",
            "capacity": 1000,
            "expiry": 60,
        },
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
