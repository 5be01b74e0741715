"""Error frames say why in the socket user's language; their codes never change.

The language is the user's choice (their profile), else the handshake's
Accept-Language, else English (accounts.languages). An error's message is
translated when it is read (chat.exceptions), so one refused inside a batch of
many users' sends is still told in each one's own language.
"""

from __future__ import annotations

from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.utils import translation

from accounts.models import User
from chat import protocol, services
from chat.exceptions import ChatError, NotFound, RateLimited, TooLong
from chat.models import Room
from tests.chat.conftest import Connect

db = database_sync_to_async


async def refused(connect: Connect, user: User, **headers: str) -> dict[str, Any]:
    ws, _hello = await connect(user, headers=headers)
    await ws.send_json_to({"type": "send", "room": "secret", "body": "hi", "client_id": "c1"})
    return await ws.receive_json_from()


@pytest.mark.django_db(transaction=True)
async def test_an_error_frame_speaks_the_users_chosen_language(
    connect: Connect, carol: User, private_room: Room
) -> None:
    carol.language = "zh-hans"
    await db(carol.save)()

    error = await refused(connect, carol, **{"accept-language": "en-US"})

    assert (error["type"], error["code"], error["ref"]) == ("error", "not_found", "c1")
    assert error["message"] == "房间不存在。"


@pytest.mark.django_db(transaction=True)
async def test_without_a_choice_an_error_frame_speaks_the_browsers_language(
    connect: Connect, carol: User, private_room: Room
) -> None:
    chinese = await refused(connect, carol, **{"accept-language": "zh-CN,zh;q=0.9"})
    english = await refused(connect, carol)

    assert (chinese["code"], chinese["message"]) == ("not_found", "房间不存在。")
    assert (english["code"], english["message"]) == ("not_found", "No such room.")


@pytest.mark.django_db(transaction=True)
async def test_a_bad_frame_is_explained_in_the_users_language(connect: Connect, carol: User) -> None:
    ws, _hello = await connect(carol, headers={"accept-language": "zh-CN"})

    await ws.send_json_to({"type": "history"})
    missing = await ws.receive_json_from()
    await ws.send_to(text_data="[1]")
    not_an_object = await ws.receive_json_from()
    await ws.send_json_to({"type": "dance"})
    unknown = await ws.receive_json_from()

    assert (missing["code"], missing["message"]) == ("bad_request", "缺少字段“room”。")
    assert (not_an_object["code"], not_an_object["message"]) == ("bad_request", "帧必须是 JSON 对象。")
    assert (unknown["code"], unknown["message"]) == ("unknown_type", "未知的帧类型“dance”。")


@pytest.mark.django_db
def test_a_refusal_in_a_batch_is_told_in_the_language_it_is_read_in(
    alice: User, bob: User, carol: User, public_room: Room
) -> None:
    # The writer runs many users' sends in one call, in one language: whichever.
    with translation.override("en"):
        outcomes = services.messages_create(
            sends=[
                services.SendRequest(carol, "general", "hi", "c1"),
                services.SendRequest(bob, "general", "x" * 5000, "c2"),
            ]
        )
    not_member, too_long = outcomes
    assert isinstance(not_member, ChatError) and isinstance(too_long, ChatError)

    with translation.override("zh-hans"):
        assert protocol.error_frame(not_member) == {
            "type": "error",
            "code": "forbidden",
            "message": "你不是 #general 的成员。",
        }
        assert too_long.message == "消息长度须在 1 到 4000 个字符之间。"
    with translation.override("en"):
        assert not_member.message == "You are not a member of #general."
        assert str(too_long) == "A message must have between 1 and 4000 characters."


def test_errors_with_placeholders_are_filled_in_each_language() -> None:
    limited = RateLimited(2.25)
    with translation.override("zh-hans"):
        assert limited.message == "发送太快了，请 2.2 秒后再试。"
        assert TooLong().message == "消息长度须在 1 到 4000 个字符之间。"
    with translation.override("en"):
        assert limited.message == "You are sending too fast; try again in 2.2 s."
        # A message given as text stays as it is.
        assert NotFound("Gone for good.").message == "Gone for good."
    assert protocol.error_frame(limited)["retry_after"] == 2.25
