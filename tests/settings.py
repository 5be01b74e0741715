"""Settings for the test suite: the project's settings with a throwaway secret key.

Tests that run in this process keep events in the process and use in-process
rate-limit buckets whatever the environment says; REDIS_URL is for the real
server processes that the integration tests start (tests/live.py).
"""

import os
import tempfile

os.environ.setdefault("DJANGO_SECRET_KEY", "tests-only-secret-key")
# The test client speaks plain HTTP; production's HTTPS defaults are tested in
# tests/test_production_settings.py, on chatsite.settings in a subprocess.
os.environ.setdefault("DJANGO_HTTPS", "0")

from chatsite.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
REDIS_URL = ""
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# In-process socket tests read frames one by one; presence frames would come
# between them. The presence tests turn it on (tests/chat/test_presence.py), and
# the servers that the browser and integration tests start have it on.
CHAT_PRESENCE = False
# Uploads of the tests in this process land in a folder of their own, never in the
# project's media/ (the tests that look at stored files give each test its own).
MEDIA_ROOT = tempfile.mkdtemp(prefix="chat-tests-media-")
