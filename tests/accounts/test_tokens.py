"""Personal API tokens: made and shown once, signing a socket in, revoked at once."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import Permission
from django.db import connections
from django.test import Client
from django.urls import reverse

from accounts import tokens
from accounts.models import ApiToken, User
from chat import selectors
from tests.factories import RoomFactory, UserFactory


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_a_token_is_shown_once_and_kept_only_as_a_hash() -> None:
    user = UserFactory()
    client = client_for(user)
    page = client.post(reverse("token_create"), {"name": "deploy bot"})
    assert page.status_code == 200
    assert "no-store" in page["Cache-Control"] or "max-age=0" in page["Cache-Control"]
    token = ApiToken.objects.get(user=user)
    text = page.context["new_token_text"]
    assert text.startswith("chat_") and len(text) > 40
    assert text in page.content.decode()
    assert text not in (token.key_hash, token.prefix) and token.prefix == text[:11]

    again = client.get(reverse("profile")).content.decode()
    assert text not in again
    assert "deploy bot" in again
    assert tokens.user_for_token(text) == (user, token.pk)


@pytest.mark.django_db
def test_only_a_live_token_of_an_active_user_signs_in() -> None:
    user = UserFactory()
    _token, text = tokens.token_create(user=user, name="script")
    assert tokens.user_for_token(text)[0] == user
    assert tokens.user_for_token(text + "x") is None
    assert tokens.user_for_token("not-a-token") is None
    assert tokens.user_for_token("") is None
    user.is_active = False
    user.save()
    assert tokens.user_for_token(text) is None
    user.is_active = True
    user.save()
    tokens.token_revoke_own(user=user, token_id=_token.pk)
    assert tokens.user_for_token(text) is None


@pytest.mark.django_db
def test_a_user_revokes_only_their_own_tokens() -> None:
    alice, mallory = UserFactory(), UserFactory()
    token, text = tokens.token_create(user=alice, name="mine")
    response = client_for(mallory).post(reverse("token_revoke", args=[token.pk]), follow=True)
    assert "No such token." in response.content.decode()
    assert tokens.user_for_token(text) is not None

    response = client_for(alice).post(reverse("token_revoke", args=[token.pk]), follow=True)
    assert "revoked" in response.content.decode()
    assert tokens.user_for_token(text) is None
    assert "mine" not in client_for(alice).get(reverse("profile")).content.decode()


@pytest.mark.django_db
def test_tokens_per_user_are_bounded() -> None:
    user = UserFactory()
    for n in range(tokens.MAX_TOKENS):
        tokens.token_create(user=user, name=f"t{n}")
    response = client_for(user).post(reverse("token_create"), {"name": "one too many"}, follow=True)
    assert "revoke one first" in response.content.decode()
    assert ApiToken.objects.filter(user=user).count() == tokens.MAX_TOKENS


@pytest.mark.django_db
def test_an_admin_sees_and_revokes_tokens() -> None:
    owner = UserFactory()
    token, text = tokens.token_create(user=owner, name="ci runner")
    admin = UserFactory(is_staff=True)
    admin.user_permissions.add(*Permission.objects.filter(codename__in=["view_apitoken", "change_apitoken"]))
    client = client_for(admin)
    listing = client.get(reverse("admin:accounts_apitoken_changelist")).content.decode()
    assert "ci runner" in listing and text not in listing
    client.post(
        reverse("admin:accounts_apitoken_changelist"),
        {"action": "revoke", "_selected_action": [token.pk]},
    )
    assert tokens.user_for_token(text) is None


async def bearer_socket(text: str, *, origin: str | None = None) -> WebsocketCommunicator:
    from chatsite.asgi import application

    headers = [(b"host", b"localhost"), (b"authorization", f"Bearer {text}".encode())]
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    return WebsocketCommunicator(application, "/ws/chat/", headers=headers)


@pytest.mark.django_db(transaction=True)
async def test_a_socket_signs_in_with_a_bearer_token_and_closes_when_it_is_revoked() -> None:
    user = await sync_to_async(UserFactory)(username="bot-owner")
    room = await sync_to_async(RoomFactory)(slug="ops", created_by=user)
    token, text = await sync_to_async(tokens.token_create)(user=user, name="bot")
    # No Origin (not a browser), or any Origin: a page cannot set this header.
    for origin in (None, "https://elsewhere.example"):
        ws = await bearer_socket(text, origin=origin)
        connected, _ = await ws.connect()
        assert connected
        hello = await ws.receive_json_from(timeout=3)
        assert hello["type"] == "hello"
        assert hello["user"]["username"] == "bot-owner"
        assert [r["slug"] for r in hello["rooms"]] == [room.slug]
        if origin is None:
            kept = ws
        else:
            await ws.disconnect()

    await sync_to_async(tokens.token_revoke_own)(user=user, token_id=token.pk)
    output = await kept.receive_output(timeout=3)
    assert output == {"type": "websocket.close", "code": 4401}
    await kept.disconnect()
    await sync_to_async(connections.close_all)()


@pytest.mark.django_db(transaction=True)
async def test_a_wrong_or_revoked_token_is_closed_with_4401() -> None:
    user = await sync_to_async(UserFactory)()
    token, text = await sync_to_async(tokens.token_create)(user=user, name="old")
    await sync_to_async(tokens.token_revoke_own)(user=user, token_id=token.pk)
    for bad in (text, "chat_nothing", "Basic abc"):
        ws = await bearer_socket(bad)
        connected, _ = await ws.connect()
        assert connected
        output = await ws.receive_output(timeout=3)
        assert output == {"type": "websocket.close", "code": 4401}
        await ws.disconnect()
    await sync_to_async(connections.close_all)()


@pytest.mark.django_db
def test_a_resync_keeps_a_token_socket_while_its_token_stands() -> None:
    user = UserFactory()
    token, _text = tokens.token_create(user=user, name="bot")
    key = tokens.socket_key(token.pk)
    _hashes, live = selectors.signed_in([user.pk], [key, "token:999999", "token:x"])
    assert live == {key}
    tokens.token_revoke_own(user=user, token_id=token.pk)
    _hashes, live = selectors.signed_in([user.pk], [key])
    assert live == set()
