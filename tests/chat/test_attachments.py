"""Files in messages: uploading (who may, the limits, what is stored), sending with a
message, and everything that deletes them (the message, its room, the uploader's
account, a moderator, expiry) taking the stored bytes along."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async
from django.core.management import call_command
from django.utils import timezone
from PIL import Image, ImageSequence

from accounts.models import User
from chat import protocol, selectors, services, uploads
from chat.exceptions import Archived, BadRequest, Forbidden, NotFound, QuotaExceeded, TooLarge, TooLong
from chat.models import Attachment, Message, Room
from tests import images
from tests.chat.conftest import EventListener
from tests.factories import MembershipFactory, StaffFactory, UserFactory, uploaded

pytestmark = pytest.mark.django_db

Listen = Callable[..., EventListener]


@pytest.fixture
def media(settings, tmp_path: Path) -> Path:
    """A storage of the test's own, to look at what is stored."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


def stored(media: Path) -> list[str]:
    """Every file in the storage, by its name there."""
    return sorted(str(path.relative_to(media)) for path in media.rglob("*") if path.is_file())


def send(user: User, *, attachments: list[int], body: str = "", room: str = "general", client_id: str = ""):
    return services.message_create(
        user=user,
        room_slug=room,
        body=body,
        client_id=client_id or f"c-{attachments}",
        attachments=attachments,
    ).message


# Uploading -----------------------------------------------------------------------


def test_a_member_uploads_a_file_that_waits_for_its_message(
    media: Path, public_room: Room, bob: User
) -> None:
    attachment = uploaded(bob, public_room, b"minutes of the meeting\n", "minutes.txt")
    assert (attachment.name, attachment.size, attachment.content_type) == ("minutes.txt", 23, "text/plain")
    assert attachment.message is None and attachment.uploader == bob and not attachment.is_image
    assert attachment.thumbnail == ""
    # Stored under a generated name, never under the one it came with.
    [name] = stored(media)
    assert name == attachment.file and "minutes" not in name
    assert (media / name).read_bytes() == b"minutes of the meeting\n"
    payload = protocol.attachment_payload(attachment.summary())
    assert payload == {
        "id": attachment.pk,
        "name": "minutes.txt",
        "size": 23,
        "content_type": "text/plain",
        "image": False,
        "width": None,
        "height": None,
        "url": f"/files/{attachment.pk}/",
        "thumbnail_url": None,
    }


def test_a_picture_is_turned_upright_stripped_of_its_metadata_and_given_a_thumbnail(
    media: Path, public_room: Room, bob: User
) -> None:
    original = images.photo(60, 20, orientation=6)
    assert Image.open(io.BytesIO(original)).getexif()[images.GPS_INFO]  # where it was taken
    attachment = uploaded(bob, public_room, original, "IMG_0001.jpg")
    assert (attachment.is_image, attachment.content_type) == (True, "image/jpeg")
    # Stored 60 x 20 and sideways; shown 20 x 60, upright.
    assert (attachment.width, attachment.height) == (20, 60)
    assert sorted(stored(media)) == sorted([attachment.file, attachment.thumbnail])
    for name in (attachment.file, attachment.thumbnail):
        with Image.open(media / name) as image:
            assert image.size == (20, 60)
            assert not image.getexif(), f"{name} kept EXIF"
            assert not {"exif", "comment", "xmp"} & set(image.info), image.info
            # The red third is now at the top.
            red, _green, blue = image.convert("RGB").getpixel((10, 5))
            assert red > 150 and blue < 100
    with Image.open(media / attachment.thumbnail) as thumbnail:
        assert thumbnail.format == "WEBP"
    assert protocol.attachment_payload(attachment.summary())["thumbnail_url"] == (
        f"/files/{attachment.pk}/thumbnail/"
    )


def test_what_a_file_is_comes_from_its_bytes_never_its_name(
    media: Path, public_room: Room, bob: User
) -> None:
    disguised = uploaded(bob, public_room, images.png(), "not-a-picture.txt")
    assert (disguised.is_image, disguised.content_type) == (True, "image/png")
    fake = uploaded(bob, public_room, b"<html><script>alert(1)</script>", "cat.png")
    assert (fake.is_image, fake.content_type) == (False, "application/octet-stream")
    svg = uploaded(bob, public_room, images.SVG_WITH_SCRIPT, "logo.svg")
    assert (svg.is_image, svg.content_type, svg.thumbnail) == (False, "image/svg+xml", "")
    page = uploaded(bob, public_room, b"<h1>hi</h1>", "page.html")
    assert (page.is_image, page.content_type) == (False, "text/html")
    animation = images.gif_animation()
    gif = uploaded(bob, public_room, animation, "dance.gif")
    assert (gif.is_image, gif.content_type) == (True, "image/gif")


@pytest.mark.parametrize(
    ("kind", "name", "content_type"),
    [
        ("GIF", "dance.gif", "image/gif"),
        ("PNG", "dance.png", "image/png"),
        ("WEBP", "dance.webp", "image/webp"),
    ],
)
def test_an_animation_keeps_its_frames_and_timing_and_loses_its_metadata(
    media: Path, public_room: Room, bob: User, kind: str, name: str, content_type: str
) -> None:
    exif = Image.Exif()
    exif[images.MAKE] = "PhoneCam"
    exif.get_ifd(images.GPS_INFO).update(
        {images.GPS_LATITUDE_REF: "N", images.GPS_LATITUDE: (48.0, 51.0, 24.0)}
    )
    raw = (
        images.gif_animation(comment=b"taken at home")
        if kind == "GIF"
        else images.animation(kind, exif=exif.tobytes())
    )
    assert b"PhoneCam" in raw or b"taken at home" in raw  # the upload carries it

    stored = uploaded(bob, public_room, raw, name)

    assert (stored.is_image, stored.content_type) == (True, content_type)
    kept = (media / stored.file).read_bytes()
    assert b"PhoneCam" not in kept and b"taken at home" not in kept
    with Image.open(io.BytesIO(kept)) as image:
        assert image.format == kind
        assert image.n_frames == 3
        assert not image.getexif()
        assert "comment" not in image.info
        durations = []
        for frame in ImageSequence.Iterator(image):
            durations.append(frame.info.get("duration"))
    assert durations == [100] * 3 if kind == "GIF" else [120] * 3
    with Image.open(media / stored.thumbnail) as thumbnail:
        assert thumbnail.format == "WEBP"


def test_a_long_animation_counts_all_its_frames_against_the_pixel_limit(
    media: Path, settings, public_room: Room, bob: User
) -> None:
    settings.CHAT_UPLOAD_MAX_PIXELS = 16 * 16 * 2  # two frames' worth
    long = uploaded(bob, public_room, images.gif_animation(frames=3), "long.gif")
    assert (long.is_image, long.thumbnail) == (False, "")


def test_a_picture_over_the_pixel_limit_is_kept_as_a_plain_file(
    media: Path, settings, public_room: Room, bob: User
) -> None:
    settings.CHAT_UPLOAD_MAX_PIXELS = 100
    big = uploaded(bob, public_room, images.png(20, 20), "big.png")
    assert (big.is_image, big.thumbnail, big.content_type) == (False, "", "application/octet-stream")


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\bob\\report.pdf", "report.pdf"),
        ("photo\u202egnp.exe", "photognp.exe"),  # a right-to-left override, removed
        ("line\r\nbreak.txt", "linebreak.txt"),
        ("<img src=x onerror=alert(1)>.png", "<img src=x onerror=alert(1)>.png"),  # text, shown as text
        ("a" * 300 + ".tar.gz", "a" * 252 + ".gz"),
    ],
)
def test_a_file_name_is_text_to_show_never_a_path(
    media: Path, public_room: Room, bob: User, raw: str, shown: str
) -> None:
    attachment = uploaded(bob, public_room, b"data", raw)
    assert attachment.name == shown
    assert len(attachment.name) <= 255
    [name] = stored(media)
    assert name.startswith("attachments/") and ".." not in name and "passwd" not in name


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("..", "file"),
        ("", "file"),
        ("dir/..", "file"),
        ("  spaced  .txt ", "spaced  .txt"),
        ("x\u0000y", "xy"),
    ],
)
def test_a_name_that_is_nothing_is_called_file(raw: str, shown: str) -> None:
    assert uploads.clean_name(raw) == shown


def test_only_members_upload_and_never_to_an_archived_room(
    media: Path, public_room: Room, private_room: Room, alice: User, bob: User, carol: User
) -> None:
    with pytest.raises(Forbidden):  # a public room she has not joined
        uploaded(carol, public_room)
    with pytest.raises(NotFound):  # a private room is not there for her
        uploaded(carol, private_room)
    services.membership_remove(actor=alice, membership=selectors.membership_for(bob, private_room))
    with pytest.raises(NotFound):
        uploaded(bob, private_room)
    services.room_archive(actor=alice, room=public_room)
    with pytest.raises(Archived):
        uploaded(bob, public_room)
    assert stored(media) == [] and not Attachment.objects.exists()


def test_each_limit_is_checked_before_anything_is_stored(
    media: Path, settings, public_room: Room, bob: User
) -> None:
    settings.CHAT_UPLOAD_MAX_FILE_SIZE = 100
    settings.CHAT_UPLOAD_MAX_MESSAGE_SIZE = 150
    settings.CHAT_UPLOAD_MAX_FILES = 2
    settings.CHAT_UPLOAD_MAX_DAILY_SIZE = 250
    with pytest.raises(TooLarge, match="at most 100"):
        uploaded(bob, public_room, b"x" * 101)
    assert stored(media) == []

    # For one message: the size of its files together, and how many.
    uploaded(bob, public_room, b"x" * 80, client_id="m1")
    with pytest.raises(TooLarge, match="together"):
        uploaded(bob, public_room, b"x" * 80, client_id="m1")
    uploaded(bob, public_room, b"x" * 60, client_id="m1")
    with pytest.raises(TooLarge, match="at most 2 files"):
        uploaded(bob, public_room, b"x", client_id="m1")
    assert len(stored(media)) == 2

    # A day's total: 140 stored, 100 more would pass 250.
    uploaded(bob, public_room, b"x" * 100, client_id="m2")
    with pytest.raises(QuotaExceeded) as refused:
        uploaded(bob, public_room, b"x" * 20, client_id="m3")
    assert "in the last 24 hours" in refused.value.message
    # It fits once the first upload is a day old.
    first = Attachment.objects.order_by("created_at").first()
    assert 0 < refused.value.retry_after <= timedelta(hours=24).total_seconds()
    assert (
        abs(
            refused.value.retry_after
            - (first.created_at + timedelta(hours=24) - timezone.now()).total_seconds()
        )
        < 5
    )
    assert len(stored(media)) == 3
    # Someone else's day is their own.
    other = UserFactory()
    MembershipFactory(room=public_room, user=other)
    uploaded(other, public_room, b"x" * 100)


# Sending --------------------------------------------------------------------------


def test_a_message_carries_its_files_in_every_payload(
    media: Path, public_room: Room, alice: User, bob: User
) -> None:
    picture = uploaded(bob, public_room, images.png(), "chart.png")
    notes = uploaded(bob, public_room, b"notes", "notes.txt")
    public_room.refresh_from_db()
    before = public_room.last_seq
    message = send(
        bob, attachments=[notes.pk, picture.pk], body="the chart and my notes", client_id="with-files"
    )
    assert message.seq == before + 1
    picture.refresh_from_db()
    notes.refresh_from_db()
    assert (notes.message, notes.position, picture.message, picture.position) == (message, 0, message, 1)

    page = selectors.history_for(alice, "general", before_seq=None, after_seq=None, limit=10)
    [payload] = [m for m in page["messages"] if m["seq"] == message.seq]
    assert [item["name"] for item in payload["attachments"]] == ["notes.txt", "chart.png"]
    assert payload["attachments"][1] == protocol.attachment_payload(picture.summary())
    assert payload["attachments"][1]["width"] == 40
    # A message without files has none.
    plain = services.message_create(user=alice, room_slug="general", body="hi", client_id="plain").message
    assert protocol.message_payload(plain, "general")["attachments"] == []

    # Sending again with the same client_id is the same message, files and all.
    again = services.message_create(
        user=bob,
        room_slug="general",
        body="the chart and my notes",
        client_id="with-files",
        attachments=[notes.pk, picture.pk],
    )
    assert (again.created, again.message.pk) == (False, message.pk)


def test_a_body_may_be_empty_only_when_files_go_with_it(media: Path, public_room: Room, bob: User) -> None:
    with pytest.raises(TooLong):
        services.message_create(user=bob, room_slug="general", body="  ", client_id="empty")
    attachment = uploaded(bob, public_room)
    message = send(bob, attachments=[attachment.pk], body="  ")
    assert (message.body, message.html) == ("", "")
    assert len(message.attachments) == 1


def test_only_the_senders_own_unsent_uploads_to_that_room_go_with_a_message(
    media: Path, public_room: Room, private_room: Room, alice: User, bob: User
) -> None:
    hers = uploaded(alice, public_room)
    elsewhere = uploaded(bob, private_room)
    mine = uploaded(bob, public_room)
    public_room.refresh_from_db()
    last_seq = public_room.last_seq
    for ids in ([hers.pk], [elsewhere.pk], [mine.pk, 999_999]):
        with pytest.raises(NotFound):
            send(bob, attachments=ids, body="look")
    public_room.refresh_from_db()
    assert public_room.last_seq == last_seq, "a refused send took a seq"
    send(bob, attachments=[mine.pk], body="look", client_id="first")
    with pytest.raises(NotFound):  # sent already, with another message
        send(bob, attachments=[mine.pk], body="again", client_id="second")


def test_the_files_of_one_message_are_limited_at_sending_too(
    media: Path, settings, public_room: Room, bob: User
) -> None:
    first, second = uploaded(bob, public_room, b"x" * 60), uploaded(bob, public_room, b"y" * 60)
    settings.CHAT_UPLOAD_MAX_MESSAGE_SIZE = 100
    with pytest.raises(TooLarge):
        send(bob, attachments=[first.pk, second.pk], body="both")
    settings.CHAT_UPLOAD_MAX_FILES = 1
    with pytest.raises(TooLarge):
        send(bob, attachments=[first.pk, second.pk], body="both")
    assert send(bob, attachments=[first.pk], body="one").attachments[0]["id"] == first.pk


def test_in_a_batch_a_refused_file_refuses_its_own_send_only(
    media: Path, public_room: Room, alice: User, bob: User
) -> None:
    hers, mine = uploaded(alice, public_room), uploaded(bob, public_room)
    outcomes = services.messages_create(
        sends=[
            services.SendRequest(alice, "general", "one", "b1"),
            services.SendRequest(bob, "general", "two", "b2", (hers.pk,)),
            services.SendRequest(bob, "general", "three", "b3", (mine.pk,)),
            services.SendRequest(alice, "general", "four", "b4", (hers.pk,)),
        ]
    )
    assert isinstance(outcomes[1], NotFound)
    messages = [outcome.message for outcome in (outcomes[0], outcomes[2], outcomes[3])]
    seqs = [message.seq for message in messages]
    assert seqs == list(range(seqs[0], seqs[0] + 3)), "no seq left out"
    assert [message.attachments[0]["id"] for message in messages[1:]] == [mine.pk, hers.pk]


def test_the_send_frame_takes_the_ids_of_uploads() -> None:
    frame = protocol.parse_frame('{"type":"send","room":"r","body":"","client_id":"c","attachments":[3,1]}')
    assert frame == protocol.Send(room="r", body="", client_id="c", attachments=(3, 1))
    assert protocol.parse_frame('{"type":"send","room":"r","body":"b","client_id":"c"}').attachments == ()
    for bad in ('"3"', "[true]", '["3"]', "[0]", "[1, 1]", "[1.5]", "[" + ",".join(["1"] * 3) + "]", "{}"):
        with pytest.raises(protocol.FrameError) as error:
            protocol.parse_frame(
                f'{{"type":"send","room":"r","body":"b","client_id":"c","attachments":{bad}}}'
            )
        assert error.value.code == "bad_request" and error.value.ref == "c", bad
    many = "[" + ",".join(str(n) for n in range(1, 12)) + "]"
    with pytest.raises(protocol.FrameError):
        protocol.parse_frame(f'{{"type":"send","room":"r","body":"b","client_id":"c","attachments":{many}}}')


@pytest.mark.django_db(transaction=True)
async def test_a_message_with_files_reaches_the_room_over_the_socket(connect, media, alice, bob, public_room):
    attachment = await sync_to_async(uploaded)(bob, public_room, images.png(), "plan.png")
    alice_socket, _ = await connect(alice)
    bob_socket, hello = await connect(bob)
    assert "upload" in hello["rooms"][0]["can"]
    frame = {"type": "send", "room": "general", "body": "", "client_id": "s1", "attachments": [attachment.pk]}
    await bob_socket.send_json_to(frame)
    received = [await bob_socket.receive_json_from(timeout=3) for _ in range(2)]
    ack = next(f for f in received if f["type"] == "ack")
    heard = await alice_socket.receive_json_from(timeout=3)
    assert heard["type"] == "message" and heard["message"]["seq"] == ack["seq"]
    assert heard["message"]["attachments"] == [
        protocol.attachment_payload((await sync_to_async(Attachment.objects.get)(pk=attachment.pk)).summary())
    ]
    # The same send again is acknowledged as before; nothing new is stored.
    await bob_socket.send_json_to(frame)
    again = await bob_socket.receive_json_from(timeout=3)
    assert (again["type"], again["seq"]) == ("ack", ack["seq"])
    await bob_socket.send_json_to({**frame, "client_id": "s2"})
    error = await bob_socket.receive_json_from(timeout=3)
    assert (error["type"], error["code"], error["ref"]) == ("error", "not_found", "s2")


# Deleting --------------------------------------------------------------------------


def test_deleting_a_message_deletes_its_files(
    media: Path, public_room: Room, bob: User, django_capture_on_commit_callbacks
) -> None:
    picture, notes = uploaded(bob, public_room, images.png(), "p.png"), uploaded(bob, public_room)
    message = send(bob, attachments=[picture.pk, notes.pk], body="two files")
    assert len(stored(media)) == 3
    with django_capture_on_commit_callbacks(execute=True):
        services.message_delete(user=bob, room_slug="general", seq=message.seq)
    assert stored(media) == []
    assert not Attachment.objects.exists()
    message.refresh_from_db()
    assert message.attachments == []
    assert protocol.message_payload(message, "general")["attachments"] == []


def test_an_upload_is_taken_back_by_its_uploader_only_before_it_is_sent(
    media: Path, public_room: Room, alice: User, bob: User, django_capture_on_commit_callbacks
) -> None:
    mine, sent = uploaded(bob, public_room), uploaded(bob, public_room)
    send(bob, attachments=[sent.pk], body="kept")
    with pytest.raises(NotFound):
        services.attachment_discard(user=alice, room_slug="general", attachment_id=mine.pk)
    with pytest.raises(NotFound):
        services.attachment_discard(user=bob, room_slug="general", attachment_id=sent.pk)
    with pytest.raises(NotFound):
        services.attachment_discard(user=bob, room_slug="secret", attachment_id=mine.pk)
    with django_capture_on_commit_callbacks(execute=True):
        services.attachment_discard(user=bob, room_slug="general", attachment_id=mine.pk)
    assert stored(media) == [sent.file]


def test_a_moderator_deletes_one_file_of_a_message_and_the_room_hears_it(
    media: Path, public_room: Room, alice: User, bob: User, listen: Listen, django_capture_on_commit_callbacks
) -> None:
    first, second = uploaded(bob, public_room, b"1", "one.txt"), uploaded(bob, public_room, b"2", "two.txt")
    message = send(bob, attachments=[first.pk, second.pk], body="both")
    with pytest.raises(Forbidden):  # a room admin deletes the message, not one file
        services.attachment_delete(actor=alice, attachment=first)
    listener = listen(f"room.{public_room.pk}")
    with django_capture_on_commit_callbacks(execute=True):
        services.attachment_delete(actor=StaffFactory(), attachment=first)
    assert stored(media) == [second.file]
    message.refresh_from_db()
    assert [item["id"] for item in message.attachments] == [second.pk]
    public_room.refresh_from_db()
    assert message.rev == public_room.last_rev
    assert [frame for _op, frame in listener.frames()] == [
        {
            "type": "attachments_changed",
            "room": "general",
            "seq": message.seq,
            "attachments": [protocol.attachment_payload(second.summary())],
        }
    ]
    changes = selectors.changes_for(alice, "general", after_rev=0, limit=10)
    assert [item["id"] for item in changes["messages"][0]["attachments"]] == [second.pk]
    # One not sent yet goes quietly: no message to tell of it.
    draft = uploaded(bob, public_room)
    with django_capture_on_commit_callbacks(execute=True):
        services.attachment_delete(actor=StaffFactory(), attachment=draft)
    assert stored(media) == [second.file] and listener.frames() == []


def test_deleting_a_room_deletes_its_files(
    media: Path, public_room: Room, alice: User, bob: User, django_capture_on_commit_callbacks
) -> None:
    send(bob, attachments=[uploaded(bob, public_room).pk], body="sent")
    uploaded(bob, public_room)  # and one not sent
    assert len(stored(media)) == 2
    with django_capture_on_commit_callbacks(execute=True):
        services.room_delete(actor=alice, room=public_room)
    assert stored(media) == []


def test_deleting_an_account_deletes_its_unsent_uploads_and_keeps_what_it_sent(
    media: Path, public_room: Room, bob: User, django_capture_on_commit_callbacks
) -> None:
    sent = uploaded(bob, public_room, b"sent", "sent.txt")
    message = send(bob, attachments=[sent.pk], body="for the record")
    uploaded(bob, public_room, b"draft", "draft.txt")
    with django_capture_on_commit_callbacks(execute=True):
        bob.delete()
    assert stored(media) == [sent.file]
    sent.refresh_from_db()
    assert (sent.uploader, sent.message) == (None, message)


def test_uploads_never_sent_expire_and_the_cleanup_sweeps_stray_files(
    media: Path, settings, public_room: Room, bob: User, django_capture_on_commit_callbacks
) -> None:
    settings.CHAT_UPLOAD_PENDING_HOURS = 1
    old, fresh, sent = uploaded(bob, public_room), uploaded(bob, public_room), uploaded(bob, public_room)
    send(bob, attachments=[sent.pk], body="sent")
    an_hour_ago = timezone.now() - timedelta(hours=2)
    Attachment.objects.filter(pk__in=[old.pk, sent.pk]).update(created_at=an_hour_ago)
    # A file whose row never committed (the process died in between), and a new one.
    stray = media / "attachments" / "ab" / ("ab" + "0" * 30)
    stray.parent.mkdir(parents=True, exist_ok=True)
    stray.write_bytes(b"left behind")
    old_time = an_hour_ago.timestamp()
    import os

    os.utime(stray, (old_time, old_time))
    newer = stray.with_name("ab" + "1" * 30)
    newer.write_bytes(b"being uploaded")

    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("cleanup_attachments", stdout=out)
    assert set(Attachment.objects.values_list("pk", flat=True)) == {fresh.pk, sent.pk}
    assert stored(media) == sorted([fresh.file, sent.file, str(newer.relative_to(media))])
    assert "1 upload never sent" in out.getvalue() and "1 stray file" in out.getvalue()


def test_an_upload_removes_a_few_expired_ones(
    media: Path, settings, public_room: Room, bob: User, django_capture_on_commit_callbacks
) -> None:
    settings.CHAT_UPLOAD_PENDING_HOURS = 1
    old = uploaded(bob, public_room)
    Attachment.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=2))
    with django_capture_on_commit_callbacks(execute=True):
        fresh = uploaded(bob, public_room)
    assert list(Attachment.objects.values_list("pk", flat=True)) == [fresh.pk]
    assert stored(media) == [fresh.file]


def test_history_reads_no_more_queries_for_messages_with_files(
    media: Path, public_room: Room, alice: User, bob: User, django_assert_num_queries
) -> None:
    for n in range(3):
        send(bob, attachments=[uploaded(bob, public_room).pk], body=f"file {n}", client_id=f"q{n}")
    # The room, the membership, the page: the files are in the messages' rows.
    with django_assert_num_queries(3):
        page = selectors.history_for(alice, "general", before_seq=None, after_seq=None, limit=10)
    assert sum(len(m["attachments"]) for m in page["messages"]) == 3


def test_bad_ids_in_a_send_are_refused_before_anything_else(public_room: Room, bob: User) -> None:
    with pytest.raises(protocol.FrameError) as error:
        protocol.parse_frame('{"type":"send","room":"general","body":"x","client_id":"c","attachments":"1"}')
    assert error.value.code == BadRequest.code
    with pytest.raises(NotFound):
        send(bob, attachments=[12345], body="nothing there")
    assert not Message.objects.filter(client_id="c-[12345]").exists()


@pytest.mark.django_db(transaction=True)
def test_uploads_at_the_same_moment_cannot_overshoot_the_days_limit_together(
    settings, tmp_path: Path
) -> None:
    """One user's tabs uploading at once: each upload alone fits what is left of the day,
    not all of them together. Those past the limit are refused, and leave no file."""
    import threading

    from django.db import connection

    if connection.vendor == "sqlite":
        pytest.skip("needs a database whose writers wait for each other's locks")
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.CHAT_UPLOAD_MAX_DAILY_SIZE = 250
    owner = UserFactory()
    room = services.room_create(creator=owner, name="Quota", slug="quota")
    start = threading.Barrier(6)
    accepted: list[Attachment] = []
    refused: list[QuotaExceeded] = []
    failures: list[BaseException] = []

    def upload(tab: int) -> None:
        try:
            start.wait(timeout=10)
            accepted.append(uploaded(owner, room, b"x" * 100, f"tab-{tab}.txt"))
        except QuotaExceeded as error:
            refused.append(error)
        except BaseException as error:  # reported below
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=upload, args=(tab,)) for tab in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    assert (len(accepted), len(refused)) == (2, 4)
    today = selectors.uploads_since(owner, timezone.now() - timedelta(days=1))
    assert sum(size for _when, size in today) == 200
    assert len(stored(tmp_path / "media")) == 2


@pytest.mark.django_db(transaction=True)
def test_sends_racing_for_one_upload_attach_it_once_and_leave_no_gap(settings, tmp_path: Path) -> None:
    """Tabs of one user sending the same upload at the same moment (as from several
    processes), while another tab takes it back: one message at most gets it."""
    import threading

    from django.db import connection

    if connection.vendor == "sqlite":
        pytest.skip("needs a database whose writers wait for each other's locks")
    settings.MEDIA_ROOT = str(tmp_path)
    owner, sender = UserFactory(), UserFactory()
    room = services.room_create(creator=owner, name="Race", slug="race")
    services.room_join(user=sender, room_slug="race")
    for round_ in range(5):
        attachment = uploaded(sender, room, f"file {round_}".encode())
        start = threading.Barrier(5)
        outcomes: list[object] = []
        failures: list[BaseException] = []

        def send_it(
            tab: int,
            attachment_id: int = attachment.pk,
            round_: int = round_,
            start: threading.Barrier = start,
            outcomes: list[object] = outcomes,
            failures: list[BaseException] = failures,
        ) -> None:
            try:
                start.wait(timeout=10)
                request = services.SendRequest(
                    sender, "race", f"tab {tab}", f"r{round_}-t{tab}", (attachment_id,)
                )
                outcomes.extend(services.messages_create(sends=[request]))
            except BaseException as error:  # reported below
                failures.append(error)
            finally:
                connection.close()

        def take_back(
            attachment_id: int = attachment.pk,
            start: threading.Barrier = start,
            failures: list[BaseException] = failures,
        ) -> None:
            try:
                start.wait(timeout=10)
                services.attachment_discard(user=sender, room_slug="race", attachment_id=attachment_id)
            except NotFound:
                pass  # sent first
            except BaseException as error:  # reported below
                failures.append(error)
            finally:
                connection.close()

        threads = [threading.Thread(target=send_it, args=(tab,)) for tab in range(4)]
        threads.append(threading.Thread(target=take_back))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert failures == []
        sent = [outcome for outcome in outcomes if isinstance(outcome, services.SendResult)]
        assert len(sent) <= 1
        assert all(isinstance(outcome, NotFound | services.SendResult) for outcome in outcomes)
        row = Attachment.objects.filter(pk=attachment.pk).first()
        if sent:
            assert row is not None and row.message_id == sent[0].message.pk
        else:
            assert row is None  # taken back before any send claimed it
    room.refresh_from_db()
    assert list(room.messages.order_by("seq").values_list("seq", flat=True)) == list(
        range(1, room.last_seq + 1)
    )
