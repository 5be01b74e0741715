"""The client and the command line against real server processes (tests/live.py).

Two server processes share a database and Redis. The client's promise is checked
where it matters: across a server restart it reconnects and catches up, and a
send whose ack was lost is resent and stored once.
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
from collections.abc import AsyncIterator, Iterator

import pytest

from chat.client import AuthenticationError, Backoff, ChatClient, Message, RequestError
from tests.client.proxy import ReplyDroppingProxy
from tests.live import ROOT, Deployment, HttpSession, signed_in
from tests.provisioning import PASSWORD

pytestmark = pytest.mark.integration

FAST = Backoff(initial=0.05, maximum=0.5)


@pytest.fixture(scope="module")
def deployment() -> Iterator[Deployment]:
    deployment = Deployment().members(3)
    yield deployment
    deployment.stop()


def chat_for(url: str, user: dict, **options: object) -> ChatClient:
    return ChatClient(url, username=user["username"], password=PASSWORD, backoff=FAST, **options)  # type: ignore[arg-type]


class Collector:
    """Reads a client's events in the background and keeps its messages."""

    def __init__(self, chat: ChatClient) -> None:
        self.messages: list[Message] = []
        self.task = asyncio.create_task(self._read(chat))

    async def _read(self, chat: ChatClient) -> None:
        async for event in chat.events():
            if isinstance(event, Message):
                self.messages.append(event)

    def bodies(self, room: str) -> list[str]:
        return [m.body for m in self.messages if m.room == room]

    async def wait_for(self, body: str, timeout: float = 15.0) -> None:
        async with asyncio.timeout(timeout):
            while not any(m.body == body for m in self.messages):
                await asyncio.sleep(0.02)


@pytest.fixture
async def opened() -> AsyncIterator[list[ChatClient]]:
    """Clients the test opened; each is closed after it."""
    clients: list[ChatClient] = []
    yield clients
    for chat in clients:
        await chat.close()


async def all_messages(chat: ChatClient, room: str) -> list[Message]:
    messages: list[Message] = []
    while True:
        page = await chat.history(room, after_seq=messages[-1].seq if messages else 0, limit=100)
        messages += page.messages
        if not page.has_more:
            return messages


async def test_a_wrong_password_is_refused(deployment: Deployment) -> None:
    user = dict(deployment.users[0])
    chat = ChatClient(deployment.servers[0].url, username=user["username"], password="wrong-password")

    with pytest.raises(AuthenticationError):
        await chat.connect()


async def test_after_a_server_restart_it_reconnects_and_catches_up_once_each(
    deployment: Deployment, opened: list[ChatClient]
) -> None:
    restarted, other = deployment.servers
    room = deployment.room
    reader = chat_for(restarted.url, deployment.users[0])
    writer = chat_for(other.url, deployment.users[1])
    opened += [reader, writer]
    await reader.connect()
    await writer.connect()
    seen = Collector(reader)

    await writer.send(room, "before the restart")
    await seen.wait_for("before the restart")
    await asyncio.to_thread(restarted.stop)  # SIGTERM: its sockets close with 1001
    for n in range(5):
        await writer.send(room, f"while it was down {n}")
    await asyncio.to_thread(restarted.start)  # the same port
    await writer.send(room, "after the restart")
    await seen.wait_for("after the restart")

    assert reader.connects == 2
    assert seen.bodies(room) == [
        "before the restart",
        *[f"while it was down {n}" for n in range(5)],
        "after the restart",
    ]
    seqs = [m.seq for m in seen.messages if m.room == room]
    assert seqs == list(range(seqs[0], seqs[0] + 7))


async def test_a_send_whose_ack_was_lost_is_resent_and_stored_once(
    deployment: Deployment, opened: list[ChatClient]
) -> None:
    server = deployment.servers[0]
    room = deployment.room
    proxy = await ReplyDroppingProxy(server.port).start()
    try:
        sender = chat_for(proxy.url, deployment.users[0])
        watcher = chat_for(deployment.servers[1].url, deployment.users[1])
        opened += [sender, watcher]
        await sender.connect()
        await watcher.connect()
        mine, theirs = Collector(sender), Collector(watcher)

        proxy.mute()  # the server stores the message; its ack never reaches the sender
        sending = asyncio.create_task(sender.send(room, "exactly once"))
        await theirs.wait_for("exactly once")
        assert not sending.done()
        proxy.cut()  # the sender reconnects and sends again, with the same client_id
        ack = await asyncio.wait_for(sending, 15)
        await mine.wait_for("exactly once")
    finally:
        await proxy.stop()

    stored = [m for m in await all_messages(watcher, room) if m.body == "exactly once"]
    assert [(m.seq, m.client_id) for m in stored] == [(ack.seq, ack.client_id)]
    assert sender.connects == 2
    assert mine.bodies(room).count("exactly once") == 1


async def test_replies_in_threads_are_delivered_once_each_in_seq_order(
    deployment: Deployment, opened: list[ChatClient]
) -> None:
    room = deployment.room
    reader = chat_for(deployment.servers[0].url, deployment.users[0])
    writer = chat_for(deployment.servers[1].url, deployment.users[1])
    opened += [reader, writer]
    await reader.connect()
    await writer.connect()
    seen = Collector(reader)

    first = await writer.send(room, "a thread starts")
    answer = await writer.send(room, "a reply", parent_seq=first.seq)
    await writer.send(room, "a reply to the reply", parent_seq=answer.seq, also_to_room=True)
    await writer.send(room, "back in the room")
    await seen.wait_for("back in the room")

    mine = [m for m in seen.messages if m.room == room and m.seq >= first.seq]
    assert [(m.body, m.parent_seq) for m in mine] == [
        ("a thread starts", None),
        ("a reply", first.seq),
        ("a reply to the reply", first.seq),  # it joins the thread of the one it answers
        ("back in the room", None),
    ]
    assert [m.seq for m in mine] == list(range(first.seq, first.seq + 4))
    stored = [m for m in await all_messages(reader, room) if m.seq >= first.seq]
    assert [m.seq for m in stored] == [m.seq for m in mine]


async def test_files_go_with_a_message_signed_in_by_password_or_by_token(
    deployment: Deployment, opened: list[ChatClient], tmp_path
) -> None:
    room = deployment.room
    writer = chat_for(deployment.servers[0].url, deployment.users[0])
    reader = chat_for(deployment.servers[1].url, deployment.users[2])
    opened += [writer, reader]
    await writer.connect()
    await reader.connect()
    seen = Collector(reader)

    # By password (the room page's endpoint, with the session's CSRF token): a path and
    # bytes with a Chinese name, in one message.
    notes = tmp_path / "notes.txt"
    notes.write_bytes(b"line one\n")
    ack = await writer.send(room, "the notes", files=[notes, ('报告 "final".csv', b"a,b\n1,2\n")])
    await seen.wait_for("the notes")
    (got,) = [m for m in seen.messages if m.seq == ack.seq]
    assert [(f.name, f.size, f.content_type) for f in got.attachments] == [
        ("notes.txt", 9, "text/plain"),
        ('报告 "final".csv', 8, "text/csv"),
    ]
    session = signed_in(deployment.servers[1].url, deployment.users[2])
    assert session.get(got.attachments[1].url) == (200, "a,b\n1,2\n")

    # By token (the bot API's endpoint), files alone; a refusal is the server's.
    _session, text, _token_id = make_token(deployment, deployment.users[1])
    bot = ChatClient(deployment.servers[1].url, token=text, backoff=FAST)
    opened.append(bot)
    await bot.connect()
    ack = await bot.send(room, "", files=[("build.log", b"ok\n")])
    stored = [m for m in await all_messages(reader, room) if m.seq == ack.seq]
    assert [(m.body, [f.name for f in m.attachments]) for m in stored] == [("", ["build.log"])]
    with pytest.raises(RequestError) as refused:
        await bot.upload("no-such-room", ("x.txt", b"x"))
    assert refused.value.code == "not_found"


# The command line --------------------------------------------------------------


def cli_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHAT_", "DJANGO_"))}
    return {**env, "TEST_CHAT_PASSWORD": PASSWORD, "PYTHONUNBUFFERED": "1"}


async def cli(deployment: Deployment, user: dict, *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "chat.client",
        "--url",
        deployment.servers[0].url,
        "--username",
        user["username"],
        "--password-env",
        "TEST_CHAT_PASSWORD",
        *args,
        cwd=ROOT,
        env=cli_env(),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_cli_send_reads_the_text_from_stdin(deployment: Deployment, opened: list[ChatClient]) -> None:
    user = deployment.users[2]
    process = await cli(deployment, user, "send", deployment.room, "-")
    out, err = await asyncio.wait_for(process.communicate(b"from stdin, with *markdown*\n"), 30)

    assert process.returncode == 0, err.decode()
    assert PASSWORD not in (out + err).decode()
    checker = chat_for(deployment.servers[1].url, deployment.users[1])
    opened.append(checker)
    await checker.connect()
    (last,) = (await checker.history(deployment.room, limit=1)).messages
    assert (last.body, last.author and last.author.username) == (
        "from stdin, with *markdown*",
        user["username"],
    )


async def test_cli_tail_prints_what_is_sent_elsewhere_once_across_a_restart(
    deployment: Deployment, opened: list[ChatClient]
) -> None:
    room, author = deployment.room, deployment.users[1]["username"]
    tailed = deployment.servers[0]
    tail = await cli(deployment, deployment.users[2], "tail", room)
    lines: list[str] = []

    async def read_line() -> str:
        assert tail.stdout is not None
        lines.append((await asyncio.wait_for(tail.stdout.readline(), 20)).decode().rstrip("\n"))
        return lines[-1]

    try:
        assert tail.stderr is not None
        ready = await asyncio.wait_for(tail.stderr.readline(), 30)
        assert ready.decode().strip() == f"following #{room}"
        writer = chat_for(deployment.servers[1].url, deployment.users[1])
        opened.append(writer)
        await writer.connect()
        await writer.send(room, "seen by tail")
        await read_line()

        await asyncio.to_thread(tailed.stop)
        await writer.send(room, "while tail's server was down")
        await asyncio.to_thread(tailed.start)
        await writer.send(room, "after the restart")
        await read_line()
        await read_line()
        with pytest.raises(TimeoutError):  # and nothing more: nothing printed twice
            await asyncio.wait_for(tail.stdout.readline(), 0.5)  # type: ignore[union-attr]
    finally:
        tail.terminate()
        await tail.wait()

    bodies = ["seen by tail", "while tail's server was down", "after the restart"]
    assert len(lines) == 3
    for line, body in zip(lines, bodies, strict=True):
        assert re.fullmatch(rf"\d\d:\d\d {author}: {body}", line), lines

    history = await cli(deployment, deployment.users[0], "history", room, "--limit", "2")
    out, err = await asyncio.wait_for(history.communicate(), 30)
    assert history.returncode == 0, err.decode()
    assert [line.split(" ", 1)[1] for line in out.decode().splitlines()] == [
        f"{author}: {body}" for body in bodies[1:]
    ]


async def test_cli_send_attaches_files(deployment: Deployment, opened: list[ChatClient], tmp_path) -> None:
    user = deployment.users[2]
    report = tmp_path / "report.txt"
    report.write_bytes(b"all green\n")
    process = await cli(deployment, user, "send", deployment.room, "", "--file", str(report))
    _out, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, err.decode()
    checker = chat_for(deployment.servers[1].url, deployment.users[1])
    opened.append(checker)
    await checker.connect()
    (last,) = (await checker.history(deployment.room, limit=1)).messages
    assert [(f.name, f.size) for f in last.attachments] == [("report.txt", 10)]

    missing = await cli(deployment, user, "send", deployment.room, "x", "--file", str(tmp_path / "nope"))
    _out, err = await asyncio.wait_for(missing.communicate(), 30)
    assert (missing.returncode, "no such file" in err.decode()) == (2, True)


async def test_cli_rooms_lists_the_user_s_rooms(deployment: Deployment) -> None:
    process = await cli(deployment, deployment.users[0], "rooms")
    out, err = await asyncio.wait_for(process.communicate(), 30)

    assert process.returncode == 0, err.decode()
    assert f"#{deployment.room}" in out.decode().split()


async def test_cli_without_a_password_says_so_and_fails() -> None:
    env = {k: v for k, v in cli_env().items() if k != "TEST_CHAT_PASSWORD"}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "chat.client",
        "--username",
        "nobody",
        "--password-env",
        "TEST_CHAT_PASSWORD",
        "rooms",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        start_new_session=True,  # no terminal to ask on
    )
    _out, err = await asyncio.wait_for(process.communicate(), 30)

    assert process.returncode == 2
    assert "TEST_CHAT_PASSWORD is not set" in err.decode()


async def test_cli_interactive_sends_typed_lines(deployment: Deployment, opened: list[ChatClient]) -> None:
    room = deployment.room
    process = await cli(deployment, deployment.users[0], "interactive", room)
    _out, err = await asyncio.wait_for(process.communicate(b"typed in interactive mode\n/quit\n"), 30)

    assert process.returncode == 0, err.decode()
    checker = chat_for(deployment.servers[1].url, deployment.users[1])
    opened.append(checker)
    await checker.connect()
    (last,) = (await checker.history(room, limit=1)).messages
    assert last.body == "typed in interactive mode"
    assert last.author is not None and last.author.username == deployment.users[0]["username"]


def make_token(deployment: Deployment, user: dict) -> tuple[HttpSession, str, int]:
    """A personal API token for ``user``, made on the profile page as a person would."""
    session = signed_in(deployment.servers[0].url, user)
    session.get("/accounts/profile/")  # the CSRF cookie
    _status, _url, page = session.post("/accounts/tokens/", {"name": "client test"})
    text = re.search(r'data-testid="new-token-text">([^<]+)<', page).group(1)
    token_id = int(re.findall(r"/accounts/tokens/(\d+)/revoke/", page)[0])
    return session, text, token_id


async def test_a_token_signs_the_client_in_and_revoking_it_stops_the_client(
    deployment: Deployment, opened: list[ChatClient]
) -> None:
    user = deployment.users[1]
    session, text, token_id = make_token(deployment, user)
    chat = ChatClient(deployment.servers[1].url, token=text, backoff=FAST)
    opened.append(chat)
    await chat.connect()
    assert chat.user is not None and chat.user.username == user["username"]
    ack = await chat.send(deployment.room, "sent with a token")
    assert ack.seq > 0

    session.post(f"/accounts/tokens/{token_id}/revoke/", {})
    with pytest.raises(AuthenticationError):
        async with asyncio.timeout(10):
            async for _event in chat.events():
                pass


async def test_the_readme_s_echo_bot_answers(deployment: Deployment, opened: list[ChatClient]) -> None:
    """docs/examples/echo_bot.py, as the README shows it, run with a bot's token."""
    admin = signed_in(deployment.servers[0].url, deployment.users[0])
    admin.get(f"/r/{deployment.room}/")
    _status, _url, page = admin.post(f"/r/{deployment.room}/bots/", {"name": "Echo"})
    token = re.search(r'data-testid="bot-token">([^<]+)<', page).group(1)
    env = {**os.environ, "CHAT_URL": deployment.servers[1].url, "CHAT_TOKEN": token, "PYTHONPATH": str(ROOT)}
    bot = await asyncio.create_subprocess_exec(
        sys.executable,
        str(ROOT / "docs" / "examples" / "echo_bot.py"),
        env=env,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        person = chat_for(deployment.servers[0].url, deployment.users[2])
        opened.append(person)
        await person.connect()
        seen = Collector(person)
        async with asyncio.timeout(20):
            while True:  # until the bot is connected and answering
                await person.send(deployment.room, "!echo are you there?")
                try:
                    await seen.wait_for("are you there?", timeout=1.0)
                    break
                except TimeoutError:
                    continue
        answer = next(m for m in seen.messages if m.body == "are you there?")
        assert answer.author is not None and answer.author.bot and answer.author.display_name == "Echo"
    finally:
        bot.terminate()
        await bot.wait()


async def test_cli_commands_that_end_run_in_process_too(
    deployment: Deployment, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """rooms, send and history through cli.main itself (the subprocess tests above cover the
    entry point; this one also lets coverage see the command line's code)."""
    from chat.client import cli

    user = deployment.users[0]
    monkeypatch.setenv("TEST_CHAT_PASSWORD", PASSWORD)
    base = [
        "--url",
        deployment.servers[0].url,
        "--username",
        user["username"],
        "--password-env",
        "TEST_CHAT_PASSWORD",
    ]

    assert await asyncio.to_thread(cli.main, [*base, "rooms"]) == 0
    assert deployment.room in capsys.readouterr().out

    assert await asyncio.to_thread(cli.main, [*base, "send", deployment.room, "in process"]) == 0
    capsys.readouterr()
    assert await asyncio.to_thread(cli.main, [*base, "history", deployment.room, "--limit", "1"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and out[0].endswith(f"{user['username']}: in process")

    assert await asyncio.to_thread(cli.main, [*base, "history", "no-such-room"]) == 1
    assert "error:" in capsys.readouterr().err
    monkeypatch.delenv("TEST_CHAT_PASSWORD")
    assert await asyncio.to_thread(cli.main, [*base, "rooms"]) == 2
