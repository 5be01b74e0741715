"""The client library runs without Django."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.live import ROOT


def test_importing_the_client_does_not_import_django() -> None:
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    script = (
        "import sys\n"
        "import chat.client, chat.client.cli, chat.client.sync\n"
        "from chat.client import ChatClient, SyncChatClient, Message\n"
        "assert 'django' not in sys.modules, sorted(m for m in sys.modules if m.startswith('django'))\n"
    )

    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 0, result.stderr
