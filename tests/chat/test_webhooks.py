"""Incoming webhooks: made and revoked by room admins; what they receive is posted as their bot."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from chat import services
from chat.exceptions import Forbidden
from chat.models import Membership, Message, Room, Webhook

pytestmark = pytest.mark.django_db


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def hook(public_room: Room, alice: User) -> tuple[Webhook, str]:
    return services.webhook_create(actor=alice, room=public_room, name="CI")


def hook_url(hook: tuple[Webhook, str]) -> str:
    webhook, secret = hook
    return reverse("chat:webhook_post", args=[webhook.pk, secret])


def test_a_room_admin_makes_a_webhook_and_sees_its_url_once(public_room: Room, alice: User) -> None:
    client = logged_in(alice)
    response = client.post(reverse("chat:webhook_create", args=["general"]), {"name": "Deploys"})
    assert response.status_code == 200
    url = response.context["url"]
    assert url.startswith("http://testserver/hooks/") and url in response.content.decode()
    webhook = Webhook.objects.get()
    assert webhook.bot.is_bot and webhook.bot.display_name == "Deploys"
    assert Membership.objects.filter(room=public_room, user=webhook.bot).exists()
    assert url.rsplit("/", 2)[-2] not in webhook.secret_hash
    room_page = client.get(reverse("chat:room", args=["general"])).content.decode()
    assert url not in room_page and "Deploys" in room_page


def test_plain_text_and_json_are_posted_as_the_bot(hook: tuple[Webhook, str]) -> None:
    client = Client()
    response = client.post(hook_url(hook), "Build 42 passed", content_type="text/plain")
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True and body["room"] == "general"
    response = client.post(
        hook_url(hook), json.dumps({"text": "Build 43 *failed*"}), content_type="application/json"
    )
    assert response.status_code == 200
    messages = list(Message.objects.filter(author=hook[0].bot).order_by("seq"))
    assert [m.body for m in messages] == ["Build 42 passed", "Build 43 *failed*"]
    assert "<strong>" in messages[1].html


def test_a_retried_delivery_with_an_idempotency_key_posts_once(hook: tuple[Webhook, str]) -> None:
    client = Client()
    first = client.post(hook_url(hook), "once", content_type="text/plain", headers={"Idempotency-Key": "d-1"})
    again = client.post(hook_url(hook), "once", content_type="text/plain", headers={"Idempotency-Key": "d-1"})
    assert first.json()["seq"] == again.json()["seq"]
    assert Message.objects.filter(author=hook[0].bot).count() == 1


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code"),
    [
        ("{not json", "application/json", 400, "bad_request"),
        ('{"message": "hi"}', "application/json", 400, "bad_request"),
        ('["hi"]', "application/json", 400, "bad_request"),
        ("   ", "text/plain", 400, "too_long"),
        ("x" * 4001, "text/plain", 400, "too_long"),
        ("nul\x00here", "text/plain", 400, "bad_request"),
        ("y" * (64 * 1024 + 1), "text/plain", 413, "too_long"),
    ],
)
def test_a_bad_delivery_is_refused_with_a_reason(
    hook, body: str, content_type: str, status: int, code: str
) -> None:
    response = Client().post(hook_url(hook), body, content_type=content_type)
    assert response.status_code == status
    assert response.json()["error"] == code
    assert not Message.objects.filter(author=hook[0].bot).exists()


def test_a_wrong_secret_a_revoked_hook_and_a_get_find_nothing(hook: tuple[Webhook, str], alice: User) -> None:
    webhook, secret = hook
    client = Client()
    assert (
        client.post(
            reverse("chat:webhook_post", args=[webhook.pk, secret + "x"]), "hi", content_type="text/plain"
        ).status_code
        == 404
    )
    assert client.get(hook_url(hook)).status_code == 405
    response = logged_in(alice).post(
        reverse("chat:webhook_revoke", args=["general", webhook.pk]), follow=True
    )
    assert "was revoked" in response.content.decode()
    assert client.post(hook_url(hook), "hi", content_type="text/plain").status_code == 404
    assert not Message.objects.filter(author=webhook.bot).exists()


def test_only_room_admins_make_and_revoke_webhooks(hook, public_room: Room, bob: User, carol: User) -> None:
    with pytest.raises(Forbidden):
        services.webhook_create(actor=bob, room=public_room, name="Mine")
    response = logged_in(bob).post(reverse("chat:webhook_revoke", args=["general", hook[0].pk]), follow=True)
    assert "Only a room admin" in response.content.decode()
    assert Client().post(hook_url(hook), "still here", content_type="text/plain").status_code == 200
    assert "webhook-form" not in logged_in(bob).get(reverse("chat:room", args=["general"])).content.decode()


def test_webhooks_are_rate_limited(settings, hook: tuple[Webhook, str]) -> None:
    settings.CHAT_RATE_LIMITS = {**settings.CHAT_RATE_LIMITS, "webhook": (0.001, 2)}
    client = Client()
    for n in range(2):
        assert client.post(hook_url(hook), f"n{n}", content_type="text/plain").status_code == 200
    refused = client.post(hook_url(hook), "n2", content_type="text/plain")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) >= 1
    assert refused.json()["error"] == "rate_limited"


def test_an_archived_room_refuses_and_a_removed_bot_cannot_post(hook, public_room: Room, alice: User) -> None:
    webhook, _secret = hook
    services.room_archive(actor=alice, room=public_room)
    response = Client().post(hook_url(hook), "late", content_type="text/plain")
    assert (response.status_code, response.json()["error"]) == (409, "archived")
    services.room_unarchive(actor=alice, room=public_room)
    services.membership_remove(
        actor=alice, membership=Membership.objects.get(room=public_room, user=webhook.bot)
    )
    response = Client().post(hook_url(hook), "gone", content_type="text/plain")
    assert response.status_code == 403


def test_the_admin_lists_and_revokes_webhooks(hook: tuple[Webhook, str], django_user_model) -> None:
    admin = django_user_model.objects.create_superuser("root", "root@example.org", "pw-for-tests-only")
    client = logged_in(admin)
    assert "CI" in client.get(reverse("admin:chat_webhook_changelist")).content.decode()
    changelist = reverse("admin:chat_webhook_changelist")
    client.post(changelist, {"action": "revoke", "_selected_action": [hook[0].pk]})
    assert Client().post(hook_url(hook), "hi", content_type="text/plain").status_code == 404
