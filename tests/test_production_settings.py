"""chatsite.settings as production loads them: in a fresh process, from nothing but the
environment an operator gives (DEBUG off, a secret key, the host names), never the
test suite's settings. HTTPS is on by default; DJANGO_HTTPS=0 knowingly turns it off."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
HOST = "chat.example.com"
YEAR = 365 * 24 * 60 * 60

# What the fresh process reports: the security settings, and what Django's own
# SecurityMiddleware does with them to a few requests.
REPORT = """
import json, os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatsite.settings")
import django
django.setup()
from django.conf import settings
from django.http import HttpResponse
from django.middleware.security import SecurityMiddleware
from django.test import RequestFactory
from django.urls import reverse

middleware = SecurityMiddleware(lambda request: HttpResponse("page"))

def served(path, **headers):
    response = middleware(RequestFactory().get(path, HTTP_HOST="chat.example.com", **headers))
    return {
        "status": response.status_code,
        "location": response.get("Location"),
        "hsts": response.get("Strict-Transport-Security"),
    }

names = [
    "SECURE_SSL_REDIRECT", "SECURE_PROXY_SSL_HEADER", "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD", "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE", "SILENCED_SYSTEM_CHECKS",
]
print(json.dumps({
    "settings": {name: getattr(settings, name) for name in names},
    "http": {path: served(path) for path in ["/", reverse("login"), reverse("healthz"),
                                             reverse("readyz"), reverse("metrics"), "/healthz/x"]},
    "https_via_proxy": served("/", HTTP_X_FORWARDED_PROTO="https"),
}))
"""


def production_env(**extra: str) -> dict[str, str]:
    """Exactly what an operator sets (plus PATH): no DATABASE_URL, no REDIS_URL, and no
    DJANGO_SETTINGS_MODULE, so chatsite.settings is used as manage.py would."""
    return {
        "PATH": os.environ.get("PATH", ""),
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": HOST,
        **extra,
    }


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def check_deploy(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return run(["manage.py", "check", "--deploy"], env)


def report(env: dict[str, str]) -> dict[str, Any]:
    result = run(["-c", REPORT], env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def default() -> dict[str, Any]:
    return report(production_env())


@pytest.fixture(scope="module")
def plain_http() -> dict[str, Any]:
    return report(production_env(DJANGO_HTTPS="0"))


# check --deploy -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "extra",
    [{}, {"DJANGO_HTTPS": "0"}, {"DJANGO_HSTS_PRELOAD": "1"}],
    ids=["https-by-default", "plain-http-opt-out", "hsts-preload"],
)
def test_check_deploy_finds_nothing(extra: dict[str, str]) -> None:
    result = check_deploy(production_env(**extra))

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout, result.stdout
    assert "WARNINGS" not in result.stderr + result.stdout, result.stderr


def test_weakening_hsts_is_still_reported() -> None:
    """Only what DJANGO_HTTPS=0 (and the preload default) decide is silenced, nothing more."""
    result = check_deploy(production_env(DJANGO_HSTS_SECONDS="0"))

    assert "security.W004" in result.stderr


# HTTPS by default ---------------------------------------------------------------------------


def test_https_is_on_by_default(default: dict[str, Any]) -> None:
    assert default["settings"] == {
        "SECURE_SSL_REDIRECT": True,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
        "SECURE_HSTS_SECONDS": YEAR,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": False,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SILENCED_SYSTEM_CHECKS": ["security.W021"],
    }


def test_plain_http_is_redirected_to_https(default: dict[str, Any]) -> None:
    assert default["http"]["/"] == {"status": 301, "location": f"https://{HOST}/", "hsts": None}
    assert default["http"]["/accounts/login/"]["location"] == f"https://{HOST}/accounts/login/"


def test_https_from_the_proxy_is_served_with_hsts(default: dict[str, Any]) -> None:
    assert default["https_via_proxy"] == {
        "status": 200,
        "location": None,
        "hsts": f"max-age={YEAR}; includeSubDomains",
    }


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics"])
def test_probes_and_metrics_are_not_redirected(default: dict[str, Any], path: str) -> None:
    assert default["http"][path]["status"] == 200


def test_only_the_probe_paths_themselves_are_exempt(default: dict[str, Any]) -> None:
    assert default["http"]["/healthz/x"]["status"] == 301


def test_hsts_is_configurable() -> None:
    settings = report(
        production_env(
            DJANGO_HSTS_SECONDS="3600", DJANGO_HSTS_INCLUDE_SUBDOMAINS="0", DJANGO_HSTS_PRELOAD="1"
        )
    )["settings"]

    assert (
        settings["SECURE_HSTS_SECONDS"],
        settings["SECURE_HSTS_INCLUDE_SUBDOMAINS"],
        settings["SECURE_HSTS_PRELOAD"],
        settings["SILENCED_SYSTEM_CHECKS"],
    ) == (3600, False, True, [])


# DJANGO_HTTPS=0 -----------------------------------------------------------------------------


def test_the_opt_out_turns_https_off(plain_http: dict[str, Any]) -> None:
    settings = plain_http["settings"]

    assert settings["SECURE_SSL_REDIRECT"] is False
    assert settings["SECURE_PROXY_SSL_HEADER"] is None
    assert settings["SECURE_HSTS_SECONDS"] == 0
    assert settings["SESSION_COOKIE_SECURE"] is False
    assert settings["CSRF_COOKIE_SECURE"] is False
    assert sorted(settings["SILENCED_SYSTEM_CHECKS"]) == [
        "security.W004",
        "security.W008",
        "security.W012",
        "security.W016",
    ]


def test_the_opt_out_serves_plain_http(plain_http: dict[str, Any]) -> None:
    assert plain_http["http"]["/"] == {"status": 200, "location": None, "hsts": None}
