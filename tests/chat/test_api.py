"""The HTTP API: the socket's rules over HTTP, signed in by token, and its OpenAPI description."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts import tokens
from accounts.models import User
from chat import services
from chat.models import Message, Room

pytestmark = pytest.mark.django_db


def api_client(user: User) -> tuple[Client, dict[str, str]]:
    _token, text = tokens.token_create(user=user, name="api test")
    return Client(), {"Authorization": f"Bearer {text}"}


def test_without_a_valid_token_nothing_is_served(public_room: Room, bob: User) -> None:
    client = Client()
    client.force_login(bob)  # a session cookie is not enough: the API takes tokens
    for headers in ({}, {"Authorization": "Bearer chat_wrong"}, {"Authorization": "Basic Ym9iOnB3"}):
        response = client.get("/api/rooms", headers=headers)
        assert response.status_code == 401
        assert response.json()["error"] == "unauthenticated"
        assert response["WWW-Authenticate"] == "Bearer"


def test_my_rooms_and_a_page_of_history(
    public_room: Room, private_room: Room, alice: User, bob: User
) -> None:
    client, auth = api_client(bob)
    services.message_create(user=alice, room_slug="general", body="hello *there*", client_id="a1")
    rooms = client.get("/api/rooms", headers=auth).json()
    assert sorted(room["slug"] for room in rooms) == ["general", "secret"]
    page = client.get("/api/rooms/general/messages?limit=10", headers=auth).json()
    assert page["room"] == "general" and page["has_more"] is False
    [message] = page["messages"]
    assert message["body"] == "hello *there*" and "<strong>" in message["html"]
    assert message["author"] == {"username": "alice", "display_name": "Alice", "bot": False}
    after = client.get(f"/api/rooms/general/messages?after_seq={message['seq']}", headers=auth).json()
    assert after["messages"] == []


def test_history_carries_a_system_notes_event(public_room: Room, bob: User) -> None:
    carol = User.objects.create(username="carol", display_name="Carol")
    services.room_join(user=carol, room_slug="general")
    client, auth = api_client(bob)

    messages = client.get("/api/rooms/general/messages", headers=auth).json()["messages"]

    note = messages[-1]
    assert (note["author"], note["body"]) == (None, "Carol joined.")
    assert note["event"] == {"kind": "joined", "user": {"username": "carol", "display_name": "Carol"}}
    assert all(message["event"] is None for message in messages if message["author"])


def test_the_api_answers_in_the_token_users_language(public_room: Room, carol: User) -> None:
    carol.language = "zh-hans"
    carol.save()
    client, auth = api_client(carol)

    chinese = client.get("/api/rooms/secret/messages", headers=auth)
    english = client.get("/api/rooms/secret/messages", headers={**auth, "Accept-Language": "en"})
    carol.language = ""
    carol.save()
    by_browser = client.get("/api/rooms/secret/messages", headers={**auth, "Accept-Language": "zh-CN"})

    assert chinese.json() == {"error": "not_found", "message": "房间不存在。"}
    assert chinese["Content-Language"] == "zh-hans"
    assert english.json()["message"] == "房间不存在。"  # the user's choice comes first
    assert by_browser.json() == {"error": "not_found", "message": "房间不存在。"}


def test_posting_is_idempotent_by_client_id_and_reaches_the_room(
    public_room: Room, bob: User, listen, django_capture_on_commit_callbacks
) -> None:
    client, auth = api_client(bob)
    listener = listen(f"room.{public_room.pk}")
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(
            "/api/rooms/general/messages",
            {"body": "via http", "client_id": "h1"},
            "application/json",
            headers=auth,
        )
    again = client.post(
        "/api/rooms/general/messages",
        {"body": "via http", "client_id": "h1"},
        "application/json",
        headers=auth,
    )
    assert first.status_code == 201 and first.json()["created"] is True
    assert again.status_code == 200 and again.json()["seq"] == first.json()["seq"]
    assert Message.objects.filter(client_id="h1").count() == 1
    assert [frame["type"] for _op, frame in listener.frames()] == ["message"]


def test_edit_and_delete_follow_the_socket_s_rules(public_room: Room, alice: User, bob: User) -> None:
    client, auth = api_client(bob)
    mine = services.message_create(user=bob, room_slug="general", body="typo", client_id="b1").message
    theirs = services.message_create(user=alice, room_slug="general", body="alice's", client_id="a1").message
    edited = client.patch(
        f"/api/rooms/general/messages/{mine.seq}", {"body": "fixed"}, "application/json", headers=auth
    )
    assert edited.status_code == 200 and edited.json()["body"] == "fixed" and edited.json()["edited_at"]
    refused = client.patch(
        f"/api/rooms/general/messages/{theirs.seq}", {"body": "x"}, "application/json", headers=auth
    )
    assert (refused.status_code, refused.json()["error"]) == (403, "forbidden")
    assert client.delete(f"/api/rooms/general/messages/{theirs.seq}", headers=auth).status_code == 403
    assert client.delete(f"/api/rooms/general/messages/{mine.seq}", headers=auth).status_code == 204
    assert Message.objects.get(pk=mine.pk).is_deleted


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code"),
    [
        ("get", "/api/rooms/secret/messages", None, 404, "not_found"),  # carol is not in it
        ("get", "/api/rooms/nowhere/messages", None, 404, "not_found"),
        ("post", "/api/rooms/general/messages", {"body": "hi", "client_id": "c1"}, 403, "forbidden"),
        ("get", "/api/rooms/general/messages?limit=0", None, 400, "bad_request"),
        ("get", "/api/rooms/general/messages?before_seq=-1", None, 400, "bad_request"),
        ("get", f"/api/rooms/general/messages?after_seq={2**60}", None, 400, "bad_request"),
    ],
)
def test_refusals_carry_the_protocol_s_codes(
    public_room, private_room, carol, method, path, body, status, code
) -> None:
    client, auth = api_client(carol)
    if body is None:
        response = getattr(client, method)(path, headers=auth)
    else:
        response = getattr(client, method)(path, body, "application/json", headers=auth)
    assert (response.status_code, response.json()["error"]) == (status, code)


@pytest.mark.parametrize(
    "body",
    [{"body": "x"}, {"client_id": "c"}, {"body": "a\x00b", "client_id": "c"}, {"body": "x", "client_id": ""}],
)
def test_a_malformed_post_is_a_bad_request(public_room: Room, bob: User, body: dict) -> None:
    client, auth = api_client(bob)
    response = client.post("/api/rooms/general/messages", body, "application/json", headers=auth)
    assert (response.status_code, response.json()["error"]) == (400, "bad_request")
    assert not Message.objects.exists()


def test_an_empty_or_long_body_is_too_long(settings, public_room: Room, bob: User) -> None:
    client, auth = api_client(bob)
    for n, text in enumerate(["  ", "x" * (settings.CHAT_MAX_BODY + 1)]):
        response = client.post(
            "/api/rooms/general/messages",
            {"body": text, "client_id": f"l{n}"},
            "application/json",
            headers=auth,
        )
        assert (response.status_code, response.json()["error"]) == (400, "too_long")


def test_the_send_limit_is_the_socket_s(settings, public_room: Room, bob: User) -> None:
    settings.CHAT_SEND_RATE, settings.CHAT_SEND_BURST = 0.001, 2
    client, auth = api_client(bob)
    statuses = [
        client.post(
            "/api/rooms/general/messages",
            {"body": f"n{n}", "client_id": f"r{n}"},
            "application/json",
            headers=auth,
        )
        for n in range(3)
    ]
    assert [response.status_code for response in statuses] == [201, 201, 429]
    assert int(statuses[2]["Retry-After"]) >= 1
    # A retry of a stored message is acknowledged again, limit or not.
    retry = client.post(
        "/api/rooms/general/messages", {"body": "n0", "client_id": "r0"}, "application/json", headers=auth
    )
    assert retry.status_code == 200


def test_a_revoked_token_stops_working(public_room: Room, bob: User) -> None:
    token, text = tokens.token_create(user=bob, name="short-lived")
    client = Client()
    assert client.get("/api/rooms", headers={"Authorization": f"Bearer {text}"}).status_code == 200
    tokens.token_revoke(token)
    assert client.get("/api/rooms", headers={"Authorization": f"Bearer {text}"}).status_code == 401


def test_the_openapi_description_and_docs_are_served() -> None:
    client = Client()
    schema = client.get("/api/openapi.json").json()
    assert schema["openapi"].startswith("3.")
    assert {"/api/rooms", "/api/rooms/{slug}/messages", "/api/rooms/{slug}/messages/{seq}"} <= set(
        schema["paths"]
    )
    assert client.get("/api/docs").status_code == 200


def test_a_file_is_uploaded_sent_and_taken_back_with_a_token(
    settings, tmp_path, public_room: Room, alice: User, bob: User
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from chat.models import Attachment
    from tests import images

    settings.MEDIA_ROOT = str(tmp_path)
    client, auth = api_client(bob)
    response = client.post(
        "/api/rooms/general/files?client_id=h9",
        {"file": SimpleUploadedFile("chart.png", images.png())},
        headers=auth,
    )
    assert response.status_code == 201, response.content
    picture = response.json()
    assert (picture["name"], picture["image"], picture["width"]) == ("chart.png", True, 40)
    draft = client.post(
        "/api/rooms/general/files", {"file": SimpleUploadedFile("draft.txt", b"later")}, headers=auth
    ).json()

    posted = client.post(
        "/api/rooms/general/messages",
        {"body": "", "client_id": "h9", "attachments": [picture["id"]]},
        "application/json",
        headers=auth,
    )
    assert posted.status_code == 201, posted.content
    page = client.get("/api/rooms/general/messages", headers=auth).json()
    assert page["messages"][-1]["attachments"] == [picture]
    # Someone else's upload does not go with a message.
    hers, her_auth = api_client(alice)
    refused = hers.post(
        "/api/rooms/general/messages",
        {"body": "mine now", "client_id": "a9", "attachments": [draft["id"]]},
        "application/json",
        headers=her_auth,
    )
    assert (refused.status_code, refused.json()["error"]) == (404, "not_found")
    assert hers.delete(f"/api/rooms/general/files/{draft['id']}", headers=her_auth).status_code == 404
    assert client.delete(f"/api/rooms/general/files/{draft['id']}", headers=auth).status_code == 204
    assert list(Attachment.objects.values_list("name", flat=True)) == ["chart.png"]
    # Without a token there is no upload.
    anonymous = Client().post("/api/rooms/general/files", {"file": SimpleUploadedFile("x.txt", b"x")})
    assert anonymous.status_code == 401
