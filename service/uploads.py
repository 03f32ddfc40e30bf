"""Upload checks: the image type from its bytes, and a safe, bounded file name."""

from __future__ import annotations

import re
import struct
import unicodedata
import zlib

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
JPEG_SOI = b"\xff\xd8"
MAX_FILE_NAME = 200
CONTENT_TYPES = {"png": "image/png", "jpg": "image/jpeg"}  # by the extension we give keys
_SPELLINGS = {"jpg": ("jpg", "jpeg"), "png": ("png",)}

_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+")


class NotAnImage(ValueError):
    """The bytes are not a well-formed JPEG or PNG."""


def _check_png(data: bytes) -> None:
    # Walk the chunks and check each CRC: a PNG header glued to junk fails.
    pos, seen_ihdr = len(PNG_SIGNATURE), False
    while pos + 12 <= len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        chunk_type = data[pos + 4 : pos + 8]
        end = pos + 8 + length
        if end + 4 > len(data):
            raise NotAnImage("PNG chunk runs past the end of the file")
        (crc,) = struct.unpack(">I", data[end : end + 4])
        if zlib.crc32(data[pos + 4 : end]) != crc:
            raise NotAnImage("PNG chunk checksum does not match")
        if not seen_ihdr and chunk_type != b"IHDR":
            raise NotAnImage("PNG does not start with an IHDR chunk")
        seen_ihdr = True
        pos = end + 4
        if chunk_type == b"IEND":
            if pos != len(data):
                raise NotAnImage("data after the PNG end chunk")
            return
    raise NotAnImage("PNG has no end chunk")


def _check_jpeg(data: bytes) -> None:
    # Walk the marker segments up to the scan, then require the end marker.
    pos = 2
    while True:
        if pos + 4 > len(data) or data[pos] != 0xFF:
            raise NotAnImage("JPEG segment structure is broken")
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in (0x01, *range(0xD0, 0xD8)):  # markers without a length
            pos += 2
            continue
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        if length < 2 or pos + 2 + length > len(data):
            raise NotAnImage("JPEG segment runs past the end of the file")
        pos += 2 + length
        if marker == 0xDA:  # start of scan: entropy-coded data follows
            break
    if not data.endswith(b"\xff\xd9") or len(data) - pos < 2:
        raise NotAnImage("JPEG has no end marker")


def detect_image_type(data: bytes) -> tuple[str, str]:
    """Return ``(content_type, extension)`` decided by the bytes, never the client.

    :raise NotAnImage: the data is not a well-formed JPEG or PNG.
    """
    if data.startswith(PNG_SIGNATURE):
        _check_png(data)
        return CONTENT_TYPES["png"], "png"
    if data.startswith(JPEG_SOI + b"\xff"):
        _check_jpeg(data)
        return CONTENT_TYPES["jpg"], "jpg"
    raise NotAnImage("only JPEG and PNG images are accepted")


def sanitize_file_name(name: str | None, extension: str) -> str:
    """The client's file name without any path, control or reserved characters, bounded."""
    name = unicodedata.normalize("NFC", name or "")
    name = _UNSAFE.sub("_", re.split(r"[/\\]", name)[-1])
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    # Keep the client's spelling only if it names the type the bytes really are.
    ext = ext.lower() if ext.lower() in _SPELLINGS[extension] else extension
    stem = stem.strip(" ._")[: MAX_FILE_NAME - len(ext) - 1].rstrip(" .") or "image"
    return f"{stem}.{ext}"
