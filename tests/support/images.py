"""Small, valid PNG and JPEG files built in code (no binary fixtures in the repo)."""

from __future__ import annotations

import struct
import zlib


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(width: int = 1, height: int = 1, extra_bytes: int = 0) -> bytes:
    """A valid grayscale PNG; ``extra_bytes`` pads it with an ancillary text chunk."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    chunks = [_chunk(b"IHDR", header)]
    if extra_bytes:
        chunks.append(_chunk(b"tEXt", b"Comment\x00" + b"x" * extra_bytes))
    chunks += [_chunk(b"IDAT", zlib.compress(rows)), _chunk(b"IEND", b"")]
    return b"\x89PNG\r\n\x1a\n" + b"".join(chunks)


def jpeg() -> bytes:
    """A structurally valid baseline JPEG (SOI, APP0, DQT, SOF0, DHT, SOS, data, EOI)."""

    def segment(marker: int, payload: bytes) -> bytes:
        return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload

    app0 = segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
    dqt = segment(0xDB, b"\x00" + bytes([1] * 64))
    sof0 = segment(0xC0, b"\x08\x00\x01\x00\x01\x01\x01\x11\x00")
    dht = segment(0xC4, b"\x00" + bytes([0, 1] + [0] * 14) + b"\x00")
    sos = segment(0xDA, b"\x01\x01\x00\x00\x3f\x00")
    return b"\xff\xd8" + app0 + dqt + sof0 + dht + sos + b"\x00\x00" + b"\xff\xd9"
