"""docker-compose.yml has the production shape (no Docker engine runs here, so it is parsed
and its structure checked): two web replicas behind a WebSocket-aware nginx, a one-shot
migrate step that the replicas wait for, PostgreSQL and Redis with health checks, and
volumes for the database and for media."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, Any]:
    return compose["services"]


def words(command: str | list[str] | None) -> list[str]:
    """A command as words, with ``--option=value`` split in two."""
    if command is None:
        return []
    split = shlex.split(command) if isinstance(command, str) else [str(word) for word in command]
    out: list[str] = []
    for word in split:
        if word.startswith("--") and "=" in word:
            out.extend(word.split("=", 1))
        else:
            out.append(word)
    return out


def depends_on(service: dict[str, Any]) -> dict[str, str]:
    """Each dependency and its condition (the short, list form means service_started)."""
    found = service.get("depends_on") or {}
    if isinstance(found, list):
        return dict.fromkeys(found, "service_started")
    return {name: (spec or {}).get("condition", "service_started") for name, spec in found.items()}


def healthcheck(service: dict[str, Any]) -> str:
    test = (service.get("healthcheck") or {}).get("test") or ""
    return " ".join(test) if isinstance(test, list) else test


def mounts(service: dict[str, Any]) -> list[tuple[str, str]]:
    """(source, target) of each volume of a service."""
    found = []
    for volume in service.get("volumes") or []:
        if isinstance(volume, dict):
            found.append((str(volume.get("source", "")), str(volume["target"])))
        else:
            source, _, rest = volume.partition(":")
            found.append((source, rest.split(":")[0]) if rest else ("", source))
    return found


def named_volumes(compose: dict[str, Any], service: dict[str, Any]) -> dict[str, str]:
    """target -> declared named volume, for a service's named-volume mounts."""
    declared = compose.get("volumes") or {}
    return {target: source for source, target in mounts(service) if source in declared}


def env_example() -> dict[str, str]:
    """The variables .env.example sets (commented-out lines are not set)."""
    found = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        name, equals, value = line.partition("=")
        if equals and not line.lstrip().startswith("#"):
            found[name.strip()] = value.strip()
    return found


def proxy_config(services: dict[str, Any]) -> str:
    """The nginx configuration the proxy mounts from the repository."""
    configs = [
        ROOT / source for source, target in mounts(services["proxy"]) if target.startswith("/etc/nginx/")
    ]
    return "\n".join(path.read_text() for path in configs if path.is_file())


def test_the_services(services: dict[str, Any]) -> None:
    assert {"proxy", "web", "migrate", "postgres", "redis"} <= set(services)


def test_web_runs_two_replicas_of_the_server_behind_the_proxy(services: dict[str, Any]) -> None:
    web = services["web"]
    assert (web.get("deploy") or {}).get("replicas") == 2
    command = words(web.get("command"))
    assert command[:3] == ["python", "-m", "chatsite.server"], command
    assert command[command.index("--host") + 1] == "0.0.0.0"  # noqa: S104 - inside its container
    assert command[command.index("--port") + 1] == "8000"
    assert "--proxy-headers" in command
    # Two replicas cannot both publish one host port: only the proxy is published.
    assert not web.get("ports"), "web publishes ports; the proxy should be the only way in"


def test_web_starts_after_a_successful_migration_and_healthy_backends(services: dict[str, Any]) -> None:
    assert depends_on(services["web"]) == {
        "migrate": "service_completed_successfully",
        "postgres": "service_healthy",
        "redis": "service_healthy",
    }


def test_migrate_is_a_one_shot_step_with_the_web_image(services: dict[str, Any]) -> None:
    migrate, web = services["migrate"], services["web"]
    command = words(migrate.get("command"))
    assert command[:3] == ["python", "manage.py", "migrate"], command
    # A step that is restarted never "completes successfully", and web waits for that.
    assert str(migrate.get("restart", "no")) in {"no", "on-failure"}
    assert "deploy" not in migrate or (migrate["deploy"] or {}).get("replicas", 1) == 1
    assert (migrate.get("build"), migrate.get("image")) == (web.get("build"), web.get("image"))
    assert depends_on(migrate).get("postgres") == "service_healthy"


def test_health_checks(services: dict[str, Any]) -> None:
    web_check = healthcheck(services["web"])
    assert "/readyz" in web_check or "/healthz" in web_check, web_check
    assert ":8000" in web_check
    assert "pg_isready" in healthcheck(services["postgres"])
    assert "redis-cli" in healthcheck(services["redis"])
    assert "ping" in healthcheck(services["redis"])


def test_the_proxy_is_nginx_and_passes_websockets_through(services: dict[str, Any]) -> None:
    proxy = services["proxy"]
    assert str(proxy.get("image", "")).startswith("nginx"), proxy.get("image")
    assert proxy.get("ports"), "the proxy publishes the chat's port"
    assert "web" in depends_on(proxy)
    text = proxy_config(services)
    assert text, "no nginx configuration is mounted from the repository"
    assert "web:8000" in text
    assert "proxy_http_version 1.1" in text
    assert "proxy_set_header Upgrade $http_upgrade" in text
    assert "proxy_set_header Connection $connection_upgrade" in text or (
        'proxy_set_header Connection "upgrade"' in text
    )


def test_postgres_keeps_its_data_in_a_volume(compose: dict[str, Any], services: dict[str, Any]) -> None:
    assert "/var/lib/postgresql/data" in named_volumes(compose, services["postgres"])


def test_the_https_setting_matches_what_the_proxy_serves(services: dict[str, Any]) -> None:
    """The chat redirects to HTTPS unless told otherwise; a stack without TLS must say so,
    and one with TLS must not opt out."""
    serves_tls = re.search(r"^\s*listen\s[^;]*\bssl\b", proxy_config(services), re.M) is not None
    env = env_example()
    assert "DJANGO_HTTPS" in env, ".env.example should state the HTTPS choice"
    assert (env["DJANGO_HTTPS"] != "0") == serves_tls, env["DJANGO_HTTPS"]
    assert "DJANGO_SECURE_COOKIES" not in env, "replaced by DJANGO_HTTPS"


def test_the_proxy_passes_the_host_with_its_port(services: dict[str, Any]) -> None:
    """The WebSocket origin check and Django's CSRF check compare the page's origin,
    port included, with the Host the chat sees: nginx must pass the browser's Host
    as it came ($http_host), not without the port ($host)."""
    config = proxy_config(services)
    hosts = re.findall(r"proxy_set_header\s+Host\s+(\S+);", config)
    assert hosts and set(hosts) == {"$http_host"}, hosts


def test_uploads_live_in_a_volume_that_the_replicas_share_and_nginx_serves(
    compose: dict[str, Any], services: dict[str, Any]
) -> None:
    web, proxy = named_volumes(compose, services["web"]), named_volumes(compose, services["proxy"])
    env = env_example()
    dockerfile = (ROOT / "Dockerfile").read_text()
    media_root = re.search(r"MEDIA_ROOT=(\S+)", dockerfile)
    assert media_root, "the image says where uploads go"
    assert media_root.group(1) in web, "the replicas keep uploads in a volume"
    assert proxy.get(media_root.group(1)) == web[media_root.group(1)], "nginx reads the same volume"
    config = proxy_config(services)
    prefix = env["CHAT_FILES_ACCEL_PREFIX"]
    location = re.search(rf"location {re.escape(prefix)} \{{(.*?)\}}", config, re.S)
    assert location, f"no location for {prefix}"
    assert "internal;" in location.group(1), "the files' location must be internal: nothing else reaches it"
    assert f"alias {media_root.group(1)}/;" in location.group(1)
    assert "X-Content-Type-Options nosniff" in location.group(1)
    # nginx lets through what the chat accepts: its largest file and the framing.
    size = re.search(r"client_max_body_size (\d+)m;", config)
    limit = env["CHAT_UPLOAD_MAX_FILE_SIZE"]
    assert size and limit.endswith("M") and int(size.group(1)) > int(limit[:-1])
