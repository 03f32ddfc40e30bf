"""Building blocks for hand-made PNG and JPEG structures, valid or not, and polyglots."""

from __future__ import annotations

import struct
import zlib

SIG = b"\x89PNG\r\n\x1a\n"
SOI, EOI = b"\xff\xd8", b"\xff\xd9"


def chunk(kind: bytes, data: bytes) -> bytes:
    """A PNG chunk with a correct CRC."""
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def ihdr(width=1, height=1, depth=8, colour=0, compression=0, filtering=0, interlace=0) -> bytes:
    """A PNG header chunk (grayscale 8-bit 1x1 unless told otherwise)."""
    fields = (width, height, depth, colour, compression, filtering, interlace)
    return chunk(b"IHDR", struct.pack(">IIBBBBB", *fields))


IDAT = chunk(b"IDAT", zlib.compress(b"\x00\x80"))
IEND = chunk(b"IEND", b"")


def segment(marker: int, payload: bytes) -> bytes:
    """A JPEG marker segment with its length."""
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def sof(width=1, height=1, components=1, extra=b"") -> bytes:
    """A baseline frame header (SOF0)."""
    payload = struct.pack(">BHHB", 8, height, width, components)
    return segment(0xC0, payload + b"\x01\x11\x00" * components + extra)


SOF0 = sof()
DQT = segment(0xDB, b"\x00" + bytes([1] * 64))
DHT = segment(0xC4, b"\x00" + bytes([0, 1] + [0] * 14) + b"\x00")
SOS = segment(0xDA, b"\x01\x01\x00\x00\x3f\x00")

# Well-formed images that are also something else: a text chunk or the entropy-coded
# data can hold anything, HTML included (docs/security.md, "Uploads": accepted, served inert).
HTML = b"<html><script>alert(document.domain)</script></html>"
POLYGLOTS = {
    "png-html-text-chunk": SIG + ihdr() + chunk(b"tEXt", b"Comment\x00" + HTML) + IDAT + IEND,
    "jpeg-html-in-scan-data": SOI + SOF0 + DHT + SOS + b"\x00" + HTML + EOI,
    "jpeg-html-comment": SOI + segment(0xFE, HTML) + SOF0 + SOS + b"\x00" + EOI,
}

# Structurally empty: the container is complete, but there is no image in it.
PNG_WITHOUT_IDAT = SIG + ihdr() + IEND
JPEG_WITHOUT_FRAME = SOI + DQT + DHT + SOS + b"\x00\x00" + EOI
