"""The file endpoints over HTTP: uploading (CSRF, the limits before the body is read,
an interrupted upload), downloading (members only, and how: never sniffed, inline
only for pictures, names escaped), and that nothing else serves the stored files."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest
from asgiref.sync import async_to_sync
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

from accounts import tokens
from accounts.models import User
from chat import selectors, services
from chat.file_views import STREAM_CHUNK, RangeNotSatisfiable, StoredFileResponse, requested_range
from chat.models import Attachment, Room
from tests import images
from tests.factories import UserFactory, uploaded

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    # Where uploads wait while they are received: looked at after each test.
    (tmp_path / "incoming").mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "incoming")
    return tmp_path / "media"


def stored(media: Path) -> list[str]:
    return sorted(str(path.relative_to(media)) for path in media.rglob("*") if path.is_file())


def waiting(media: Path) -> list[str]:
    return sorted(path.name for path in (media.parent / "incoming").iterdir())


def browser(user: User | None) -> Client:
    """A client that checks CSRF as a browser's requests are checked."""
    client = Client(enforce_csrf_checks=True)
    if user is not None:
        client.force_login(user)
        client.get("/")  # the page sets the CSRF cookie
    return client


def post_file(
    client: Client, slug: str, data: bytes, name: str, *, csrf: bool = True, query: str = "", **extra
):
    headers = (
        {"HTTP_X_CSRFTOKEN": client.cookies["csrftoken"].value}
        if csrf and "csrftoken" in client.cookies
        else {}
    )
    return client.post(
        f"/r/{slug}/files/{query}", {"file": SimpleUploadedFile(name, data)}, **headers, **extra
    )


def test_a_member_uploads_with_the_pages_csrf_token(media: Path, public_room: Room, bob: User) -> None:
    client = browser(bob)
    refused = post_file(client, "general", b"hello", "hello.txt", csrf=False)
    assert refused.status_code == 403
    assert stored(media) == [] and waiting(media) == []

    response = post_file(client, "general", images.png(), "chart.png", query="?client_id=msg-1")
    assert response.status_code == 201
    body = response.json()
    attachment = Attachment.objects.get()
    assert body["id"] == attachment.pk and body["image"] is True
    assert body["url"] == f"/files/{attachment.pk}/"
    assert (attachment.client_id, attachment.uploader) == ("msg-1", bob)
    assert len(stored(media)) == 2 and waiting(media) == []

    # Taken back: it is gone, and it is no one else's to take back.
    assert browser(UserFactory()).delete(f"/r/general/files/{attachment.pk}/").status_code in {302, 403, 404}
    gone = client.delete(
        f"/r/general/files/{attachment.pk}/", HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value
    )
    assert gone.status_code == 204
    assert not Attachment.objects.exists()


def test_refusals_are_clear_and_come_before_the_body_is_read(
    media: Path, settings, public_room: Room, private_room: Room, bob: User, carol: User
) -> None:
    settings.CHAT_UPLOAD_MAX_FILE_SIZE = 1000
    client = browser(carol)
    assert post_file(client, "secret", b"x", "x.txt").json()["error"] == "not_found"
    response = post_file(client, "general", b"x", "x.txt")
    assert (response.status_code, response.json()["error"]) == (403, "forbidden")
    assert post_file(browser(None), "general", b"x", "x.txt").status_code == 404

    client = browser(bob)
    # A declared length far past the limit: refused before one byte is parsed.
    response = post_file(client, "general", b"x" * 10, "x.txt", CONTENT_LENGTH="50000000")
    assert (response.status_code, response.json()["error"]) == (413, "too_large")
    assert "at most 1000" in response.json()["message"]
    # A length within the framing's slack, but a file over the limit: the handler stops.
    response = post_file(client, "general", b"x" * 1500, "x.txt")
    assert (response.status_code, response.json()["error"]) == (413, "too_large")
    assert stored(media) == [] and waiting(media) == []
    # No length at all.
    response = post_file(client, "general", b"x", "x.txt", CONTENT_LENGTH="")
    assert (response.status_code, response.json()["error"]) == (400, "bad_request")

    settings.CHAT_UPLOAD_MAX_DAILY_SIZE = 10
    response = post_file(client, "general", b"x" * 20, "x.txt")
    assert (response.status_code, response.json()["error"]) == (429, "quota_exceeded")
    assert int(response["Retry-After"]) >= 1
    services.room_archive(actor=private_room.created_by, room=public_room)
    assert post_file(client, "general", b"x", "x.txt").json()["error"] == "archived"
    assert stored(media) == [] and waiting(media) == []


def test_an_upload_interrupted_halfway_leaves_nothing_behind(
    media: Path, public_room: Room, bob: User
) -> None:
    client = browser(bob)
    whole = encode_multipart(BOUNDARY, {"file": SimpleUploadedFile("big.bin", b"0123456789" * 5000)})
    half = whole[: len(whole) // 2]  # the connection dropped: the file part never ends
    response = client.generic(
        "POST",
        "/r/general/files/",
        half,
        content_type=MULTIPART_CONTENT,
        HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value,
    )
    assert response.status_code == 400
    assert "interrupted" in response.json()["message"]
    assert not Attachment.objects.exists()
    assert stored(media) == [] and waiting(media) == []


async def _read_all(response) -> tuple[list[bytes], bytes]:
    pieces = [piece async for piece in response.streaming_content]
    return pieces, b"".join(pieces)


def download(client: Client, url: str, **headers):
    response = client.get(url, **headers)
    if not response.streaming:
        return response, response.content
    # Streamed as the ASGI server streams it: an async iterator, a piece at a time.
    return response, async_to_sync(_read_all)(response)[1]


def test_a_member_downloads_and_everyone_else_gets_404(
    media: Path, private_room: Room, alice: User, bob: User, carol: User
) -> None:
    picture = uploaded(bob, private_room, images.png(), "plan.png")
    notes = uploaded(bob, private_room, b"secret notes", "notes.txt")
    services.message_create(
        user=bob, room_slug="secret", body="", client_id="m", attachments=[picture.pk, notes.pk]
    )
    member = browser(alice)
    response, content = download(member, f"/files/{notes.pk}/")
    assert (response.status_code, content) == (200, b"secret notes")
    assert response["Content-Type"] == "text/plain"
    assert response["Content-Disposition"] == "attachment; filename=\"notes.txt\"; filename*=UTF-8''notes.txt"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'none'" in response["Content-Security-Policy"]
    assert "sandbox" in response["Content-Security-Policy"]
    assert response["Cache-Control"] == "private, no-cache"

    response, content = download(member, f"/files/{picture.pk}/")
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("inline; ")
    assert content == (media / picture.file).read_bytes()
    response, content = download(member, f"/files/{picture.pk}/thumbnail/")
    assert (response["Content-Type"], response["Content-Disposition"][:7]) == ("image/webp", "inline;")
    assert content.startswith(b"RIFF")
    assert download(member, f"/files/{notes.pk}/thumbnail/")[0].status_code == 404  # not a picture

    # Asked again with its ETag: not modified, after the same check.
    etag = response["ETag"]
    assert download(member, f"/files/{picture.pk}/thumbnail/", HTTP_IF_NONE_MATCH=etag)[0].status_code == 304

    # Not a member, not signed in, no such file: 404 alike.
    for client in (browser(carol), browser(None)):
        for url in (f"/files/{notes.pk}/", f"/files/{picture.pk}/thumbnail/", "/files/999999/"):
            response = client.get(url, HTTP_IF_NONE_MATCH=etag)
            assert response.status_code == 404, (client, url)
    # Removed: at once.
    services.membership_remove(actor=alice, membership=selectors.membership_for(bob, private_room))
    assert browser(bob).get(f"/files/{notes.pk}/").status_code == 404
    assert member.get(f"/files/{notes.pk}/").status_code == 200


def test_a_public_rooms_files_are_for_its_members_only(
    media: Path, public_room: Room, bob: User, carol: User
) -> None:
    notes = uploaded(bob, public_room)
    services.message_create(user=bob, room_slug="general", body="f", client_id="m", attachments=[notes.pk])
    # Carol may read the room's history, not its files.
    assert selectors.history_for(carol, "general", before_seq=None, after_seq=None, limit=5)["messages"]
    assert browser(carol).get(f"/files/{notes.pk}/").status_code == 404
    services.room_leave(user=bob, room_slug="general")
    assert browser(bob).get(f"/files/{notes.pk}/").status_code == 404


def test_an_archived_rooms_files_stay_for_its_members_and_a_tombstones_go(
    media: Path, public_room: Room, alice: User, bob: User
) -> None:
    kept, gone = uploaded(bob, public_room, b"kept"), uploaded(bob, public_room, b"gone")
    services.message_create(user=bob, room_slug="general", body="k", client_id="k", attachments=[kept.pk])
    deleted = services.message_create(
        user=bob, room_slug="general", body="g", client_id="g", attachments=[gone.pk]
    ).message
    services.message_delete(user=bob, room_slug="general", seq=deleted.seq)
    services.room_archive(actor=alice, room=public_room)
    assert browser(alice).get(f"/files/{kept.pk}/").status_code == 200
    assert browser(bob).get(f"/files/{gone.pk}/").status_code == 404


def test_an_upload_not_sent_is_its_uploaders_alone(
    media: Path, public_room: Room, alice: User, bob: User
) -> None:
    draft = uploaded(bob, public_room)
    assert browser(alice).get(f"/files/{draft.pk}/").status_code == 404
    assert browser(bob).get(f"/files/{draft.pk}/").status_code == 200


def test_an_api_token_downloads_too(media: Path, public_room: Room, bob: User) -> None:
    notes = uploaded(bob, public_room)
    _token, text = tokens.token_create(user=bob, name="bot")
    response, content = download(Client(), f"/files/{notes.pk}/", HTTP_AUTHORIZATION=f"Bearer {text}")
    assert (response.status_code, content) == (200, b"plain text\n")
    assert Client().get(f"/files/{notes.pk}/", HTTP_AUTHORIZATION="Bearer chat_wrong").status_code == 404


def test_an_svg_with_a_script_is_served_as_an_attachment_never_inline(
    media: Path, public_room: Room, bob: User
) -> None:
    svg = uploaded(bob, public_room, images.SVG_WITH_SCRIPT, "logo.svg")
    html = uploaded(bob, public_room, b"<script>alert(1)</script>", "page.html")
    for attachment, content_type in ((svg, "image/svg+xml"), (html, "text/html")):
        response, content = download(browser(bob), f"/files/{attachment.pk}/")
        assert response["Content-Type"] == content_type
        assert response["Content-Disposition"].startswith("attachment; ")
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in response["Content-Security-Policy"]
    assert content == b"<script>alert(1)</script>"


@pytest.mark.parametrize(
    "name",
    [
        'evil"; filename="evil.html',
        "résumé 2026 (final).pdf",
        "%22%0d%0aSet-Cookie: x=1.txt",
        "<img src=x onerror=alert(1)>.txt",
        'naïve;semi"colon.txt',
    ],
)
def test_a_malicious_name_is_escaped_in_the_header(
    media: Path, public_room: Room, bob: User, name: str
) -> None:
    attachment = uploaded(bob, public_room, b"data", name)
    assert attachment.name == name
    assert name not in attachment.file
    header = download(browser(bob), f"/files/{attachment.pk}/")[0]["Content-Disposition"]
    assert "\r" not in header and "\n" not in header
    match = re.fullmatch(
        r'attachment; filename="([^"\\;]*)"; filename\*=UTF-8\'\'([A-Za-z0-9%._~-]*)', header
    )
    assert match, header
    assert unquote(match.group(2)) == name
    assert match.group(1).isascii()


def test_a_path_in_an_uploaded_name_is_dropped(media: Path, public_room: Room, bob: User) -> None:
    response = post_file(browser(bob), "general", b"data", "../../../etc/cron.d/evil")
    assert (response.status_code, response.json()["name"]) == (201, "evil")
    [name] = stored(media)
    assert name.startswith("attachments/") and "evil" not in name
    # A quote in a name, as browsers send it (%22).
    response = post_file(browser(bob), "general", b"data", "say %22hi%22.txt")
    assert response.json()["name"] == 'say "hi".txt'


def test_behind_nginx_the_bytes_are_nginxs_to_send(
    media: Path, settings, public_room: Room, bob: User
) -> None:
    settings.CHAT_FILES_ACCEL_PREFIX = "/protected-files/"
    notes = uploaded(bob, public_room)
    response = browser(bob).get(f"/files/{notes.pk}/")
    assert response.status_code == 200 and response.content == b""
    assert response["X-Accel-Redirect"] == f"/protected-files/{notes.file}"
    assert response["Content-Disposition"].startswith("attachment; ")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert browser(None).get(f"/files/{notes.pk}/").status_code == 404


def test_nothing_else_serves_the_stored_files(media: Path, public_room: Room, bob: User) -> None:
    notes = uploaded(bob, public_room)
    client = browser(bob)
    for url in (
        f"/media/{notes.file}",
        f"/static/{notes.file}",
        f"/static/../media/{notes.file}",
        f"/{notes.file}",
    ):
        assert client.get(url).status_code == 404, url


def test_a_media_root_among_the_static_files_is_refused(settings, tmp_path: Path) -> None:
    from chat.checks import media_is_not_served_as_static

    settings.MEDIA_ROOT = str(tmp_path / "media")
    assert media_is_not_served_as_static() == []
    settings.STATIC_ROOT = str(tmp_path)
    assert [error.id for error in media_is_not_served_as_static()] == ["chat.E001"]
    settings.STATIC_ROOT = str(tmp_path / "static")
    settings.MEDIA_ROOT = str(Path(__file__).resolve().parents[2] / "chat" / "static" / "chat" / "media")
    assert [error.id for error in media_is_not_served_as_static()] == ["chat.E001"]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=0-99", (0, 99)),
        ("bytes=10-", (10, 999)),
        ("bytes=990-5000", (990, 999)),
        ("bytes=-100", (900, 999)),
        ("bytes=-5000", (0, 999)),
        (" bytes=5-5 ", (5, 5)),
        ("bytes=0-1,5-9", None),  # several ranges: the whole file
        ("bytes=9-5", None),
        ("bytes=-", None),
        ("items=0-5", None),
        ("bytes=abc", None),
    ],
)
def test_one_byte_range_is_read_from_the_header(header: str, expected: tuple[int, int] | None) -> None:
    assert requested_range(header, 1000) == expected


@pytest.mark.parametrize("header", ["bytes=1000-", "bytes=1000-1001", "bytes=-0"])
def test_a_range_past_the_end_cannot_be_satisfied(header: str) -> None:
    with pytest.raises(RangeNotSatisfiable):
        requested_range(header, 1000)
    assert requested_range(header, 0) is None  # an empty file is sent whole, as it is


def test_a_download_resumes_from_a_byte_range(media: Path, public_room: Room, alice: User, bob: User) -> None:
    data = bytes(range(256)) * 8  # 2,048 bytes
    attachment = uploaded(bob, public_room, data, "data.bin")
    services.message_create(
        user=bob, room_slug="general", body="", client_id="r", attachments=[attachment.pk]
    )
    member, url = browser(alice), f"/files/{attachment.pk}/"

    whole, content = download(member, url)
    assert (whole.status_code, content, whole["Accept-Ranges"]) == (200, data, "bytes")
    assert whole["Content-Length"] == "2048"
    etag = whole["ETag"]

    response, content = download(member, url, HTTP_RANGE="bytes=1000-1499")
    assert (response.status_code, content) == (206, data[1000:1500])
    assert (response["Content-Range"], response["Content-Length"]) == ("bytes 1000-1499/2048", "500")
    # The headers that keep it safe stay on a part too.
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment; ")
    response, content = download(member, url, HTTP_RANGE="bytes=-48", HTTP_IF_RANGE=etag)
    assert (response.status_code, content, response["Content-Range"]) == (
        206,
        data[-48:],
        "bytes 2000-2047/2048",
    )
    # Another version than the one the client has: the whole file.
    response, content = download(member, url, HTTP_RANGE="bytes=0-9", HTTP_IF_RANGE='"other"')
    assert (response.status_code, content) == (200, data)
    response, content = download(member, url, HTTP_RANGE="bytes=4096-")
    assert (response.status_code, response["Content-Range"], content) == (416, "bytes */2048", b"")
    # Ranges are asked after the same check as the rest: nothing for anyone else.
    carol = UserFactory()
    assert download(browser(carol), url, HTTP_RANGE="bytes=0-9")[0].status_code == 404


def test_a_stored_file_is_streamed_in_pieces_and_closed(tmp_path: Path) -> None:
    from django.core.files import File

    path = tmp_path / "big.bin"
    path.write_bytes(b"x" * (2 * STREAM_CHUNK + 10))
    opened = File(path.open("rb"))
    response = StoredFileResponse(opened, first=5, length=2 * STREAM_CHUNK)
    pieces, content = async_to_sync(_read_all)(response)
    assert [len(piece) for piece in pieces] == [STREAM_CHUNK, STREAM_CHUNK]
    assert content == b"x" * (2 * STREAM_CHUNK)
    assert opened.closed
    # One never sent is closed with the response.
    unsent = File(path.open("rb"))
    StoredFileResponse(unsent, length=10).close()
    assert unsent.closed
