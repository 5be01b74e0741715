"""An echo bot: answers "!echo TEXT" with TEXT, in whatever room it is asked."""

import asyncio
import os

from chat.client import ChatClient, Message


async def main() -> None:
    async with ChatClient(
        os.environ.get("CHAT_URL", "http://127.0.0.1:8000"), token=os.environ["CHAT_TOKEN"]
    ) as chat:
        async for event in chat.events():
            if (
                isinstance(event, Message)
                and event.body.startswith("!echo ")
                and not (event.author and event.author.bot)
            ):
                await chat.send(event.room, event.body.removeprefix("!echo "))


asyncio.run(main())
