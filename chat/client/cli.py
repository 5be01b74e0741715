"""The command line: read and write the chat from a terminal or a script.

    python -m chat.client rooms
    python -m chat.client tail general
    echo "deploy done" | python -m chat.client send general -
    python -m chat.client history general --limit 20
    python -m chat.client interactive general

Credentials come from the environment (CHAT_TOKEN, or CHAT_USERNAME and
CHAT_PASSWORD) or from options that name where to find them; a password that
is not given is asked for without echo. They are never printed. Messages go
to stdout, one a line (``HH:MM author: body``); notes about the connection go
to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import os
import sys
import threading
from collections.abc import Sequence
from typing import TextIO

from chat.client.client import ChatClient
from chat.client.errors import ChatClientError, RequestError
from chat.client.events import Hello, Message, RoomSummary

DEFAULT_URL = "http://127.0.0.1:8000"
PAGE = 100  # the server's largest history page


class UsageError(Exception):
    """The command line cannot be run as given (missing credentials, say)."""


def format_size(size: int) -> str:
    """Bytes as people read them: ``512 B``, ``48.2 KB``, ``3.1 MB``."""
    if size < 1024:
        return f"{size} B"
    scaled = float(size)
    for unit in ("KB", "MB", "GB"):
        scaled /= 1024
        if scaled < 1024 or unit == "GB":
            break
    return f"{scaled:.1f} {unit}"


def format_message(message: Message) -> str:
    """``HH:MM author: body`` in local time, then each file it carries as ``[name, size]``;
    a system message has ``*`` for its author."""
    when = message.created_at.astimezone().strftime("%H:%M")
    author = message.author.username if message.author is not None else "*"
    separator = ":" if message.author is not None else ""
    if message.deleted:
        return f"{when} {author}{separator} (deleted)"
    files = [f"[{file.name}, {format_size(file.size)}]" for file in message.attachments]
    text = " ".join(part for part in (message.body, *files) if part)
    return f"{when} {author}{separator} {text}"


def format_room(room: RoomSummary) -> str:
    notes = [f"{room.unread} unread"] if room.unread else []
    if room.archived:
        notes.append("archived")
    if room.muted:
        notes.append("muted")
    return f"#{room.slug}  {room.name}" + (f"  ({', '.join(notes)})" if notes else "")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m chat.client",
        description="Read and write the chat from the command line.",
        epilog=(
            "Credentials: an API token from CHAT_TOKEN (or the variable --token-env names), "
            "or a username (--username, CHAT_USERNAME) and a password from CHAT_PASSWORD "
            "(or the variable --password-env names), asked for when missing."
        ),
    )
    parser.add_argument("--url", default=None, help=f"the chat's address (CHAT_URL, default {DEFAULT_URL})")
    parser.add_argument("--username", default=None, help="log in as this user (CHAT_USERNAME)")
    parser.add_argument("--password-env", metavar="VAR", help="read the password from this variable")
    parser.add_argument("--token-env", metavar="VAR", help="read an API token from this variable")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("rooms", help="list your rooms")
    tail = commands.add_parser("tail", help="print a room's new messages as they come")
    tail.add_argument("room")
    send = commands.add_parser("send", help="post a message (TEXT '-' reads it from stdin)")
    send.add_argument("room")
    send.add_argument("text", help="the message; may be empty ('') when files go with it")
    send.add_argument(
        "--file", action="append", default=[], metavar="PATH", help="attach this file (again for more)"
    )
    history = commands.add_parser("history", help="print a room's latest messages")
    history.add_argument("room")
    history.add_argument("--limit", type=int, default=20, help="how many (default 20)")
    interactive = commands.add_parser("interactive", help="talk in a room: type lines, see arrivals")
    interactive.add_argument("room")
    return parser


def _from_env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise UsageError(f"the variable {name} is not set")
    return value


def make_client(args: argparse.Namespace) -> ChatClient:
    """A ChatClient for the options and environment; asks for a missing password."""
    url = args.url or os.environ.get("CHAT_URL") or DEFAULT_URL
    if args.token_env:
        return ChatClient(url, token=_from_env(args.token_env))
    if os.environ.get("CHAT_TOKEN") and not args.username and not args.password_env:
        return ChatClient(url, token=os.environ["CHAT_TOKEN"])
    username = args.username or os.environ.get("CHAT_USERNAME")
    if not username:
        raise UsageError("no credentials: set CHAT_TOKEN, or give --username (or CHAT_USERNAME)")
    if args.password_env:
        password = _from_env(args.password_env)
    elif os.environ.get("CHAT_PASSWORD"):
        password = os.environ["CHAT_PASSWORD"]
    elif _can_prompt():
        try:
            password = getpass.getpass(f"Password for {username}: ")
        except EOFError as error:
            raise UsageError("no password given") from error
    else:
        raise UsageError("no password: set CHAT_PASSWORD or use --password-env")
    return ChatClient(url, username=username, password=password)


def _can_prompt() -> bool:
    """Whether a password can be asked for without echo (and without eating stdin)."""
    try:
        with open("/dev/tty"):
            return True
    except OSError:
        return False


def _room_of(chat: ChatClient, slug: str) -> RoomSummary:
    for room in chat.rooms:
        if room.slug == slug:
            return room
    raise UsageError(f"you are not a member of #{slug}")


def _say(line: str, stream: TextIO) -> None:
    stream.write(line + "\n")
    stream.flush()


# Commands -------------------------------------------------------------------


async def run_rooms(chat: ChatClient, args: argparse.Namespace) -> int:
    for room in sorted(chat.rooms, key=lambda room: room.slug):
        _say(format_room(room), sys.stdout)
    return 0


async def run_send(chat: ChatClient, args: argparse.Namespace) -> int:
    text = sys.stdin.read() if args.text == "-" else args.text
    text = text.rstrip("\n")
    if not text.strip() and not args.file:
        raise UsageError("nothing to send")
    for path in args.file:
        if not os.path.isfile(path):
            raise UsageError(f"no such file: {path}")
    ack = await chat.send(args.room, text, files=args.file)
    _say(f"sent to #{ack.room} as message {ack.seq}", sys.stderr)
    return 0


async def run_history(chat: ChatClient, args: argparse.Namespace) -> int:
    if args.limit < 1:
        raise UsageError("--limit must be at least 1")
    messages: list[Message] = []
    before: int | None = None
    while len(messages) < args.limit:
        page = await chat.history(args.room, limit=min(PAGE, args.limit - len(messages)), before_seq=before)
        messages[:0] = page.messages
        if not page.has_more or not page.messages:
            break
        before = page.messages[0].seq
    for message in messages:
        _say(format_message(message), sys.stdout)
    return 0


async def run_tail(chat: ChatClient, args: argparse.Namespace) -> int:
    _room_of(chat, args.room)
    _say(f"following #{args.room}", sys.stderr)
    async for event in chat.events():
        if isinstance(event, Message) and event.room == args.room:
            _say(format_message(event), sys.stdout)
        elif isinstance(event, Hello) and chat.connects > 1:
            _say("reconnected", sys.stderr)
    return 0


async def run_interactive(chat: ChatClient, args: argparse.Namespace) -> int:
    _room_of(chat, args.room)
    prompt = f"#{args.room}> "
    terminal = sys.stdin.isatty() and sys.stdout.isatty()
    if terminal:
        with contextlib.suppress(ImportError):
            import readline  # noqa: F401  (line editing for input())
    lines: asyncio.Queue[str | None] = asyncio.Queue()
    loop = asyncio.get_running_loop()

    def read_lines() -> None:
        # input() cannot be cancelled: a daemon thread does not hold up the exit.
        while True:
            try:
                line = input(prompt if terminal else "")
            except (EOFError, KeyboardInterrupt, ValueError):
                loop.call_soon_threadsafe(lines.put_nowait, None)
                return
            loop.call_soon_threadsafe(lines.put_nowait, line)

    def show(line: str) -> None:
        if terminal:
            # Print above the prompt, then show it again with nothing typed lost from view.
            sys.stdout.write("\r\x1b[K" + line + "\n" + prompt)
            with contextlib.suppress(ImportError, AttributeError):
                import readline

                sys.stdout.write(readline.get_line_buffer())
            sys.stdout.flush()
        else:
            _say(line, sys.stdout)

    async def print_arrivals() -> None:
        async for event in chat.events():
            if isinstance(event, Message) and event.room == args.room:
                show(format_message(event))
            elif isinstance(event, Hello) and chat.connects > 1:
                show("(reconnected)")

    async def post(text: str) -> None:
        try:
            await chat.send(args.room, text)
        except RequestError as error:
            show(f"(not sent: {error.message or error.code})")

    threading.Thread(target=read_lines, name="chat-input", daemon=True).start()
    printer = asyncio.create_task(print_arrivals())
    sending: set[asyncio.Task[None]] = set()
    try:
        while (line := await _next_line(lines, printer)) is not None:
            if line.strip() in ("/quit", "/exit"):
                break
            if line.strip():
                task = asyncio.create_task(post(line))
                sending.add(task)
                task.add_done_callback(sending.discard)
        if sending:
            await asyncio.wait(sending, timeout=10)
    finally:
        printer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await printer
    if terminal:
        sys.stdout.write("\n")
    return 0


async def _next_line(lines: asyncio.Queue[str | None], printer: asyncio.Task[None]) -> str | None:
    """The next line typed, or None at the end of input; raises what stopped the printer."""
    getter = asyncio.ensure_future(lines.get())
    done, _pending = await asyncio.wait({getter, printer}, return_when=asyncio.FIRST_COMPLETED)
    if getter in done:
        return getter.result()
    getter.cancel()
    printer.result()  # the client stopped: its error, if it had one
    return None


COMMANDS = {
    "rooms": run_rooms,
    "send": run_send,
    "history": run_history,
    "tail": run_tail,
    "interactive": run_interactive,
}


async def run(args: argparse.Namespace) -> int:
    async with make_client(args) as chat:
        return await COMMANDS[args.command](chat, args)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return asyncio.run(run(args))
    except KeyboardInterrupt:
        return 130
    except (UsageError, ChatClientError) as error:
        _say(f"error: {error}", sys.stderr)
        return 2 if isinstance(error, UsageError) else 1
