"""Pictures for the upload tests, made with Pillow: small, and with the metadata a
camera would leave in them when asked."""

from __future__ import annotations

import io

from PIL import Image

# EXIF tags: Orientation, the GPS block, the camera's Make.
ORIENTATION, GPS_INFO, MAKE = 0x0112, 0x8825, 0x010F
GPS_LATITUDE_REF, GPS_LATITUDE = 1, 2


def png(width: int = 40, height: int = 30, color: tuple[int, ...] = (200, 60, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, "PNG")
    return buffer.getvalue()


def photo(width: int = 60, height: int = 20, *, orientation: int = 6) -> bytes:
    """A JPEG as a phone takes it: stored sideways with an Orientation tag (6: turn it a
    quarter clockwise to show it), the camera's make and where it was taken."""
    image = Image.new("RGB", (width, height), (30, 120, 200))
    # The left third red, so that which way it was turned can be seen.
    image.paste((220, 20, 20), (0, 0, width // 3, height))
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[MAKE] = "PhoneCam"
    exif.get_ifd(GPS_INFO).update({GPS_LATITUDE_REF: "N", GPS_LATITUDE: (48.0, 51.0, 24.0)})
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif, comment=b"taken at home")
    return buffer.getvalue()


def gif_animation(frames: int = 3, comment: bytes = b"") -> bytes:
    # Frames of different colours: Pillow merges identical frames into one.
    images = [Image.new("RGB", (16, 16), (60 * index, 90, 30)).convert("P") for index in range(frames)]
    buffer = io.BytesIO()
    extra = {"comment": comment} if comment else {}
    images[0].save(buffer, "GIF", save_all=True, append_images=images[1:], duration=100, loop=0, **extra)
    return buffer.getvalue()


def animation(kind: str, frames: int = 3, exif: bytes = b"") -> bytes:
    """An animated PNG or WebP of ``frames`` frames of 120 ms, carrying ``exif``."""
    images = [Image.new("RGBA", (16, 16), (40 * index, 80, 120, 255)) for index in range(frames)]
    buffer = io.BytesIO()
    images[0].save(buffer, kind, save_all=True, append_images=images[1:], duration=120, loop=0, exif=exif)
    return buffer.getvalue()


SVG_WITH_SCRIPT = (
    b'<svg xmlns="http://www.w3.org/2000/svg" onload="window.__xss=1">'
    b"<script>window.__xss=1</script><circle r='4'/></svg>"
)
