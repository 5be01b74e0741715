"""Group commit for sends: the sends that arrive while the database is busy share one transaction.

Every send of a process goes through one queue. When the database thread is
free, everything queued goes to ``services.messages_create`` as one batch: one
transaction, one commit, one hop onto the database thread, whatever the number
of sends. An idle chat sends batches of one, so nobody waits for a batch to
fill; a busy one amortizes the commit, which is most of a send's cost.
"""

from __future__ import annotations

import asyncio
import logging

from channels.db import database_sync_to_async

from chat import services
from chat.exceptions import ChatError

logger = logging.getLogger(__name__)

MAX_BATCH = 200


class SendWriter:
    def __init__(self) -> None:
        self._queue: list[tuple[services.SendRequest, asyncio.Future]] = []
        self._task: asyncio.Task | None = None

    async def send(self, request: services.SendRequest) -> services.SendResult:
        """Store ``request`` (with whatever else is waiting); raise its ChatError if refused."""
        future = asyncio.get_running_loop().create_future()
        self._queue.append((request, future))
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._write(), name="chat-send-writer")
        outcome = await future
        if isinstance(outcome, ChatError):
            raise outcome
        return outcome

    async def _write(self) -> None:
        while self._queue:
            batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
            try:
                outcomes = await database_sync_to_async(services.messages_create)(
                    sends=[request for request, _future in batch]
                )
            except Exception as error:  # the database failed: every send of the batch says so
                for _request, future in batch:
                    if not future.done():
                        future.set_exception(error)
                continue
            for (_request, future), outcome in zip(batch, outcomes, strict=True):
                if not future.done():
                    future.set_result(outcome)
