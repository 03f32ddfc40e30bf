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


# Pillow's decompression-bomb threshold (PIL.Image.MAX_IMAGE_PIXELS, ~0.25 GiB of RGB):
# a 4 MiB file may declare far more pixels than any product photo has, and whoever
# decodes it (a browser, a thumbnailer) pays for every one of them.
MAX_PIXELS = 89_478_485
# Bounds on the Python-level loop, so a crafted 4 MiB file costs milliseconds: real PNGs
# have tens to hundreds of chunks (IDAT is usually split every 8-64 KiB), real JPEGs a
# few dozen segments (tables, APPn metadata, one SOS per progressive scan).
MAX_PNG_CHUNKS = 10_000
MAX_JPEG_SEGMENTS = 1_000

# ------------------------------------------------------------------------------- PNG
# https://www.w3.org/TR/png-3/ sections 5 (datastream structure) and 11.2 (IHDR).

_PNG_CRITICAL = frozenset({b"IHDR", b"PLTE", b"IDAT", b"IEND"})
_PNG_BIT_DEPTHS = {0: {1, 2, 4, 8, 16}, 2: {8, 16}, 3: {1, 2, 4, 8}, 4: {8, 16}, 6: {8, 16}}


def _check_ihdr(payload: bytes) -> int:
    """The colour type of a valid IHDR payload."""
    if len(payload) != 13:
        raise NotAnImage("PNG header chunk has the wrong length")
    width, height, depth, colour, compression, filtering, interlace = struct.unpack(
        ">IIBBBBB", payload
    )
    if not (0 < width < 2**31 and 0 < height < 2**31):
        raise NotAnImage("PNG width and height must be positive")
    if width * height > MAX_PIXELS:
        raise NotAnImage(f"image has more than {MAX_PIXELS} pixels")
    if depth not in _PNG_BIT_DEPTHS.get(colour, ()):
        raise NotAnImage("PNG colour type and bit depth do not match")
    if compression != 0 or filtering != 0 or interlace not in (0, 1):
        raise NotAnImage("PNG header names an unknown method")
    return int(colour)


def _check_png(data: bytes) -> None:
    # Walk the chunks (checking each CRC) from IHDR to IEND: a PNG header glued to
    # junk, a PNG without image data and anything after IEND all fail.
    view = memoryview(data)
    pos, chunks, colour = len(PNG_SIGNATURE), 0, -1
    seen_plte = seen_idat = idat_ended = False
    while True:
        if pos + 12 > len(data):
            raise NotAnImage("PNG has no end chunk")
        length, kind = struct.unpack_from(">I4s", data, pos)
        end = pos + 8 + length
        if end + 4 > len(data):
            raise NotAnImage("PNG chunk runs past the end of the file")
        chunks += 1
        if chunks > MAX_PNG_CHUNKS:
            raise NotAnImage(f"PNG has more than {MAX_PNG_CHUNKS} chunks")
        if not kind.isalpha():
            raise NotAnImage("PNG chunk type is not four letters")
        if zlib.crc32(view[pos + 4 : end]) != struct.unpack_from(">I", data, end)[0]:
            raise NotAnImage("PNG chunk checksum does not match")
        if chunks == 1:
            if kind != b"IHDR":
                raise NotAnImage("PNG does not start with an IHDR chunk")
            colour = _check_ihdr(data[pos + 8 : end])
        elif kind in (b"IHDR", b"PLTE") and (kind == b"IHDR" or seen_plte or seen_idat):
            raise NotAnImage(f"PNG has a misplaced {kind.decode()} chunk")
        elif kind[0] < 0x61 and kind not in _PNG_CRITICAL:  # upper case first: critical
            raise NotAnImage("PNG has an unknown critical chunk")
        seen_plte = seen_plte or kind == b"PLTE"
        if kind == b"IDAT":
            if idat_ended:
                raise NotAnImage("PNG image data chunks are not consecutive")
            seen_idat = True
        elif seen_idat:
            idat_ended = True
        pos = end + 4
        if kind == b"IEND":
            if length:
                raise NotAnImage("PNG end chunk is not empty")
            break
    if pos != len(data):
        raise NotAnImage("data after the PNG end chunk")
    if not seen_idat:
        raise NotAnImage("PNG has no image data")
    if colour == 3 and not seen_plte:
        raise NotAnImage("palette PNG has no palette")


# ------------------------------------------------------------------------------ JPEG
# ITU-T T.81 (https://www.w3.org/Graphics/JPEG/itu-t81.pdf), annex B: marker segments,
# then entropy-coded data in which 0xFF is followed by 0x00 (stuffing) or RST0-7.

_FILL_THEN_MARKER = re.compile(rb"\xff+([^\xff])")  # fill bytes may precede a marker
_NEXT_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")  # the end of entropy-coded data
_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}  # frame headers (not DHT, JPG, DAC)
_SOS, _EOI = 0xDA, 0xD9


def _check_sof(payload: bytes) -> None:
    if len(payload) < 6:
        raise NotAnImage("JPEG frame header is truncated")
    _, height, width, components = struct.unpack_from(">BHHB", payload)
    if len(payload) != 6 + 3 * components or components not in (1, 2, 3, 4):
        raise NotAnImage("JPEG frame header has the wrong length")
    if height == 0 or width == 0:  # height 0 defers to a DNL marker: no browser does that
        raise NotAnImage("JPEG width and height must be positive")
    if width * height > MAX_PIXELS:
        raise NotAnImage(f"image has more than {MAX_PIXELS} pixels")


def _check_jpeg(data: bytes) -> None:
    # Walk the marker segments; after each scan header, skip its entropy-coded data
    # to the next marker (a C-speed regex search, not a Python loop over bytes).
    pos, segments, seen_frame, scans = 2, 0, False, 0
    while True:
        found = _FILL_THEN_MARKER.match(data, pos)
        if found is None:
            raise NotAnImage("JPEG segment structure is broken")
        marker, pos = found.group(1)[0], found.end()
        segments += 1
        if segments > MAX_JPEG_SEGMENTS:
            raise NotAnImage(f"JPEG has more than {MAX_JPEG_SEGMENTS} segments")
        if marker == _EOI:
            break
        if marker in (0x00, 0xD8, *range(0xD0, 0xD8)):  # stuffing, SOI or RSTn out of place
            raise NotAnImage("JPEG has a misplaced marker")
        if marker == 0x01:  # TEM: no length
            continue
        if pos + 2 > len(data):
            raise NotAnImage("JPEG segment runs past the end of the file")
        (length,) = struct.unpack_from(">H", data, pos)
        if length < 2 or pos + length > len(data):
            raise NotAnImage("JPEG segment runs past the end of the file")
        if marker in _SOF:
            if seen_frame:
                raise NotAnImage("JPEG has two frame headers")
            _check_sof(data[pos + 2 : pos + length])
            seen_frame = True
        pos += length
        if marker == _SOS:
            if not seen_frame:
                raise NotAnImage("JPEG scan comes before its frame header")
            scans += 1
            after_scan = _NEXT_MARKER.search(data, pos)
            if after_scan is None:
                raise NotAnImage("JPEG has no end marker")
            pos = after_scan.start()
    if pos != len(data):
        raise NotAnImage("data after the JPEG end marker")
    if not seen_frame or not scans:
        raise NotAnImage("JPEG has no image data")


def detect_image_type(data: bytes) -> tuple[str, str]:
    """Return ``(content_type, extension)`` decided by the bytes, never the client.

    The checks are structural, linear in the size and bounded in Python-level
    steps; docs/security.md ("Uploads") explains what they accept and why.

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
