"""Fixtures of the integration tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.chatclient import ChatClient


@pytest.fixture
async def clients() -> AsyncIterator[list[ChatClient]]:
    """A list for the test's protocol clients; each one in it is stopped after the test."""
    started: list[ChatClient] = []
    yield started
    for client in started:
        await client.stop()
