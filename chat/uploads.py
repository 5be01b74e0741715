"""Uploaded files behind Django's storage API: the one module that reads and writes their bytes.

Receiving: ``LimitedUploadHandler`` takes the one file of a multipart request into a
temporary file and stops reading as soon as it passes the size limit; whatever
goes wrong (too large, the client gone halfway, a malformed body) the temporary
file is removed, and nothing reaches the storage.

Storing: ``store`` decides from the bytes alone (Pillow), never from the name or
the client's content type, whether a file is a picture (PNG, JPEG, GIF, WebP). A
picture gets a thumbnail, and is itself stored re-encoded with no metadata
(EXIF, XMP, comments), so no location or camera data is passed on: a still one
upright (its EXIF orientation applied), an animation frame by frame with its
timing and loop. Files are saved under generated
names in the default storage; if saving fails halfway, what was saved is removed.

Deleting: ``delete_on_commit`` removes stored files once the transaction that
deleted their rows has committed (chat.signals calls it for every deleted row).
"""

from __future__ import annotations

import contextlib
import io
import logging
import mimetypes
import secrets
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any
from urllib.parse import quote

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import TemporaryUploadedFile, UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, SkipFile, StopUpload
from django.db import transaction
from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

logger = logging.getLogger(__name__)

# The pictures shown in the page, by Pillow's format name: the only types ever served inline.
IMAGE_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp"}
INLINE_TYPES = frozenset(IMAGE_TYPES.values())
THUMBNAIL_BOX = (640, 640)  # shown at half that, sharp on a 2x screen
THUMBNAIL_TYPE = "image/webp"
# Room for the multipart framing around the file in one request: boundaries, part
# headers (the file name, up to 255 characters, percent-encoded), the client_id field.
MULTIPART_SLACK = 16 * 1024
NAME_MAX = 255
FILES_DIR = "attachments"
THUMBNAILS_DIR = "thumbnails"
FILE_FIELD = "file"
OCTET_STREAM = "application/octet-stream"


def clean_name(raw: str) -> str:
    """The name to show for an uploaded file: the last part of ``raw`` after any path
    separator, without control or formatting characters (a right-to-left override could
    make ``gpj.exe`` read as ``exe.jpg``), at most 255 characters with its extension
    kept; "file" if nothing is left. It is text to show, never a path."""
    name = unicodedata.normalize("NFC", raw.replace("\\", "/").rsplit("/", 1)[-1])
    name = "".join(char for char in name if unicodedata.category(char) not in {"Cc", "Cf", "Cs", "Zl", "Zp"})
    name = name.strip()
    if name in {"", ".", ".."}:
        return "file"
    if len(name) > NAME_MAX:
        stem, dot, extension = name.rpartition(".")
        keep = f".{extension}" if dot and stem and len(extension) <= 16 else ""
        name = name[: NAME_MAX - len(keep)] + keep
    return name


def content_disposition(name: str, *, inline: bool) -> str:
    """A Content-Disposition header for a file called ``name`` (RFC 6266): ``filename*``
    with the name percent-encoded as UTF-8, and ``filename`` with a plain ASCII stand-in
    for clients that know only that. Nothing in the name can end the header's value."""
    fallback = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    fallback = "".join(char if char.isprintable() and char not in '"\\;' else "_" for char in fallback)
    fallback = fallback.strip() or "file"
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def guessed_type(name: str) -> str:
    """The content type a file that is not a picture is served with, from its name. A
    picture's type is only ever claimed by a file Pillow read as that picture."""
    guessed, _encoding = mimetypes.guess_type(name, strict=False)
    if not guessed or guessed in INLINE_TYPES or len(guessed) > 100:
        return OCTET_STREAM
    return guessed


# Receiving -----------------------------------------------------------------------


class LimitedUploadHandler(FileUploadHandler):
    """Takes the first file of the ``file`` field into a temporary file, up to ``limit``
    bytes. Past the limit it stops reading the request (``too_large`` is then set) and
    removes what it wrote; a request that ends before its file did (the client went
    away) leaves nothing either. Other files in the request are skipped."""

    def __init__(self, request: Any = None, *, limit: int) -> None:
        super().__init__(request)
        self.limit = limit
        self.too_large = False
        self.received = False
        self.upload: TemporaryUploadedFile | None = None

    def new_file(self, field_name: str, *args: Any, **kwargs: Any) -> None:
        if field_name != FILE_FIELD or self.received or self.upload is not None:
            raise SkipFile
        super().new_file(field_name, *args, **kwargs)
        # Browsers send a name's quote and line breaks as %22, %0D and %0A (HTML's
        # multipart/form-data encoding): the quote is the name's, line breaks none of it.
        name = (self.file_name or "").replace("%22", '"').replace("%0D", "").replace("%0A", "")
        self.file_name = name
        self.upload = TemporaryUploadedFile(name, self.content_type or "", 0, self.charset)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        assert self.upload is not None
        if start + len(raw_data) > self.limit:
            self.too_large = True
            self.discard()
            raise StopUpload(connection_reset=True)
        self.upload.write(raw_data)
        return None

    def file_complete(self, file_size: int) -> UploadedFile | None:
        if self.upload is None:
            return None
        self.upload.seek(0)
        self.upload.size = file_size
        self.received = True
        upload, self.upload = self.upload, None
        return upload

    def upload_interrupted(self) -> None:
        self.discard()

    def discard(self) -> None:
        """Close and remove the temporary file being written, if any."""
        if self.upload is not None:
            self.upload.close()  # a NamedTemporaryFile: closing removes it
            self.upload = None


# Storing -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Stored:
    """A file as it was saved: its generated names, and what it turned out to be."""

    file: str
    thumbnail: str
    content_type: str
    size: int
    is_image: bool
    width: int | None
    height: int | None


@dataclass(frozen=True, slots=True)
class _Picture:
    content_type: str
    width: int
    height: int
    data: bytes | None  # re-encoded, or None to keep the file as it came
    thumbnail: bytes


def _clean_copy(image: Image.Image) -> Image.Image:
    """``image`` upright (its EXIF orientation applied) with no metadata but its colour
    profile and transparency."""
    upright = ImageOps.exif_transpose(image)
    if upright is image:  # no orientation to apply: still a copy of our own
        upright = image.copy()
    upright.info = {key: image.info[key] for key in ("icc_profile", "transparency") if key in image.info}
    return upright


def _encoded(image: Image.Image, kind: str) -> bytes:
    options: dict[str, Any] = {}
    if image.info.get("icc_profile"):
        options["icc_profile"] = image.info["icc_profile"]
    buffer = io.BytesIO()
    if kind == "JPEG":
        if image.mode not in {"L", "RGB", "CMYK"}:
            image = image.convert("RGB")
        image.save(buffer, "JPEG", quality=90, comment=b"", **options)
    elif kind in {"PNG", "GIF"}:
        image.save(buffer, kind, **options)
    else:
        image.save(buffer, "WEBP", quality=90, **options)
    return buffer.getvalue()


def _animation(image: Image.Image, kind: str) -> bytes:
    """Every frame of ``image`` again, with its timing and nothing else it carried."""
    frames, durations = [], []
    for frame in ImageSequence.Iterator(image):
        durations.append(frame.info.get("duration", 100))
        whole = frame.convert("RGBA")
        whole.info = {}  # convert() copies what the frame carried (comments, EXIF, XMP)
        frames.append(whole)
    options: dict[str, Any] = {"save_all": True, "append_images": frames[1:], "duration": durations}
    options["loop"] = image.info.get("loop", 0)
    if kind == "GIF":
        options["disposal"] = 2  # each frame drawn afresh: the converted frames are whole
    elif kind == "WEBP":
        options["quality"] = 90
    buffer = io.BytesIO()
    frames[0].save(buffer, kind, **options)
    return buffer.getvalue()


def _thumbnail(image: Image.Image) -> bytes:
    alpha = image.mode in {"RGBA", "LA", "PA"} or "transparency" in image.info
    small = image.convert("RGBA" if alpha else "RGB")
    small.thumbnail(THUMBNAIL_BOX)
    buffer = io.BytesIO()
    small.save(buffer, "WEBP", quality=80)
    return buffer.getvalue()


def _picture(upload: IO[bytes]) -> _Picture | None:
    """What Pillow makes of the bytes: a picture to show, or None for any other file
    (including a picture over CHAT_UPLOAD_MAX_PIXELS, or one that does not decode)."""
    upload.seek(0)
    try:
        with Image.open(upload) as image:
            # A JPEG with more pictures in it (phone cameras make them): its first one.
            kind = "JPEG" if image.format == "MPO" else image.format or ""
            if kind not in IMAGE_TYPES:
                return None
            frames = 1 if kind == "JPEG" else getattr(image, "n_frames", 1)
            if image.width * image.height * frames > settings.CHAT_UPLOAD_MAX_PIXELS:
                return None
            data = _animation(image, kind) if frames > 1 else None
            image.seek(0)
            clean = _clean_copy(image)
            if data is None:
                data = _encoded(clean, kind)
            return _Picture(IMAGE_TYPES[kind], clean.width, clean.height, data, _thumbnail(clean))
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError, SyntaxError, EOFError):
        return None
    finally:
        upload.seek(0)


def _names() -> tuple[str, str]:
    token = secrets.token_hex(16)
    return f"{FILES_DIR}/{token[:2]}/{token}", f"{THUMBNAILS_DIR}/{token[:2]}/{token}.webp"


def store(upload: UploadedFile, name: str) -> Stored:
    """Save ``upload`` (called ``name`` by its uploader) in the default storage."""
    file_name, thumbnail_name = _names()
    picture = _picture(upload)
    try:
        if picture is None:
            file_name = default_storage.save(file_name, upload)
            return Stored(file_name, "", guessed_type(name), upload.size or 0, False, None, None)
        content: File = ContentFile(picture.data) if picture.data is not None else upload
        file_name = default_storage.save(file_name, content)
        thumbnail_name = default_storage.save(thumbnail_name, ContentFile(picture.thumbnail))
    except BaseException:
        # A file saved halfway (a full disk, a storage that failed) is not left behind.
        delete_now([file_name, thumbnail_name])
        raise
    size = len(picture.data) if picture.data is not None else upload.size or 0
    return Stored(file_name, thumbnail_name, picture.content_type, size, True, picture.width, picture.height)


# Serving and deleting ------------------------------------------------------------------


def open_stored(name: str) -> File:
    """A stored file, open for reading (the caller closes it)."""
    return default_storage.open(name, "rb")


def delete_now(names: Iterable[str]) -> None:
    """Remove stored files; one that is missing or cannot be removed is logged, not raised
    (``cleanup_attachments`` finds what is left)."""
    for name in names:
        if not name:
            continue
        try:
            default_storage.delete(name)
        except Exception:
            logger.warning("Could not delete the stored file %s", name, exc_info=True)


def delete_on_commit(names: Iterable[str]) -> None:
    """Remove stored files once the current transaction commits (at once outside one)."""
    names = [name for name in names if name]
    if names:
        transaction.on_commit(lambda: delete_now(names))


def stored_files() -> Iterator[tuple[str, datetime | None]]:
    """Every file the chat has in the storage, with when it was last modified (None if
    the storage cannot say): for sweeping up files whose rows never committed."""
    for top in (FILES_DIR, THUMBNAILS_DIR):
        with contextlib.suppress(FileNotFoundError, NotImplementedError):
            shards, _files = default_storage.listdir(top)
            for shard in shards:
                _dirs, files = default_storage.listdir(f"{top}/{shard}")
                for file in files:
                    name = f"{top}/{shard}/{file}"
                    try:
                        modified = default_storage.get_modified_time(name)
                    except (NotImplementedError, OSError):
                        modified = None
                    yield name, modified
