"""Settings for the test suite: the project's settings with a throwaway secret key."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "tests-only-secret-key")

from chatsite.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
