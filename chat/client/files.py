"""Files sent with a message: each is uploaded over HTTP first (docs/protocol.md,
"Files"), then named by its id in the ``send`` frame's ``attachments``.

A token posts to the bot API (``POST /api/rooms/<room>/files``), a session to the
room page's endpoint (``POST /r/<room>/files/``, with its CSRF token), as
auth.Credentials.upload_request says. Blocking: the async client runs it in a thread.
"""

from __future__ import annotations

import json
import mimetypes
import os
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path
from typing import Any

from chat.client.errors import ConnectionFailed, RequestError

# A file to send: a path, or a name and its bytes.
FileSpec = str | os.PathLike[str] | tuple[str, bytes]


def read_file(spec: FileSpec) -> tuple[str, bytes]:
    """The name and the bytes of ``spec``."""
    if isinstance(spec, tuple):
        name, data = spec
        return name, bytes(data)
    path = Path(spec)
    return path.name, path.read_bytes()


def multipart(name: str, data: bytes) -> tuple[bytes, str]:
    """The body of a form holding one file in the field ``file``, and its Content-Type."""
    boundary = f"chat-{uuid.uuid4().hex}"
    kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
    # As browsers write it (the HTML standard): UTF-8, with only what would end the
    # quoted name or the header escaped. The server never trusts the name anyway.
    quoted = name.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")
    head = (
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="file"; filename="{quoted}"\r\n'
        f"Content-Type: {kind}\r\n\r\n"
    ).encode()
    return head + data + f"\r\n--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def post_file(
    url: str, headers: dict[str, str], name: str, data: bytes, *, client_id: str, timeout: float
) -> dict[str, Any]:
    """Upload one file; the server's ATTACHMENT object. A refusal (not a member, too
    large, the day's limit...) raises RequestError with the server's code and message."""
    body, content_type = multipart(name, data)
    request = urllib.request.Request(  # noqa: S310 (http(s) only: Endpoints)
        f"{url}?{urllib.parse.urlencode({'client_id': client_id})}",
        data=body,
        method="POST",
        headers={**headers, "Content-Type": content_type, "Accept": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        try:
            answer = json.loads(error.read() or b"{}")
        except ValueError:
            answer = {}
        code = answer.get("error") or ("not_found" if error.code == 404 else f"http_{error.code}")
        raise RequestError(code, answer.get("message") or f"the upload answered HTTP {error.code}") from None
    except (urllib.error.URLError, OSError) as error:
        raise ConnectionFailed(f"could not upload {name!r}: {error}") from None
