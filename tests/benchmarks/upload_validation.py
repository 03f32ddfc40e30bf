"""``python -m tests.benchmarks.upload_validation [--repeat 3]``.

CPU time of the upload validator (service.uploads.detect_image_type) on crafted
inputs of up to 4 MiB that make a byte- or chunk-walking validator slow: tiny
chunks or segments by the hundred thousand, runs of fill bytes, stuffed or
restart-marker-laden entropy data. Printed, never asserted (tests/unit/test_uploads.py
checks what each input is judged to be).
"""

from __future__ import annotations

import argparse
import struct
import time
import zlib
from collections.abc import Callable

from tests.support import images

MiB = 1024 * 1024
LIMIT = 4 * MiB


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png_parts() -> tuple[bytes, bytes]:
    good = images.png()
    return good[: 8 + 25], good[8 + 25 :]  # signature + IHDR, then IDAT + IEND


def png_many_tiny_chunks() -> bytes:
    head, tail = _png_parts()
    tiny = _chunk(b"prVt", b"")  # an empty private ancillary chunk: 12 bytes
    return head + tiny * ((LIMIT - len(head) - len(tail)) // len(tiny)) + tail


def png_one_big_text_chunk() -> bytes:
    return images.png(extra_bytes=LIMIT - 200)


def _jpeg_parts() -> tuple[bytes, bytes]:
    good = images.jpeg()
    sos = good.index(b"\xff\xda")
    return good[: sos + 2 + 8], good[sos + 2 + 8 :]  # up to the scan's data, then data + EOI


def jpeg_fill_bytes() -> bytes:
    head, tail = _jpeg_parts()
    return head[:2] + b"\xff" * (LIMIT - len(head) - len(tail)) + head[2:] + tail


def jpeg_many_tiny_segments() -> bytes:
    head, tail = _jpeg_parts()
    comment = b"\xff\xfe\x00\x02"  # an empty COM segment: 4 bytes
    return head[:2] + comment * ((LIMIT - len(head) - len(tail)) // 4) + head[2:] + tail


def jpeg_stuffed_entropy_data() -> bytes:
    head, tail = _jpeg_parts()
    return head + b"\xff\x00" * ((LIMIT - len(head) - len(tail)) // 2) + tail


def jpeg_restart_markers() -> bytes:
    head, tail = _jpeg_parts()
    return head + b"\xff\xd0" * ((LIMIT - len(head) - len(tail)) // 2) + tail


def jpeg_fill_bytes_in_entropy_data() -> bytes:
    head, tail = _jpeg_parts()
    return head + b"\xff" * (LIMIT - len(head) - len(tail)) + tail


INPUTS: dict[str, Callable[[], bytes]] = {
    "png-many-tiny-chunks": png_many_tiny_chunks,
    "png-one-4mib-text-chunk": png_one_big_text_chunk,
    "jpeg-4mib-fill-bytes": jpeg_fill_bytes,
    "jpeg-many-tiny-segments": jpeg_many_tiny_segments,
    "jpeg-4mib-stuffed-entropy": jpeg_stuffed_entropy_data,
    "jpeg-2m-restart-markers": jpeg_restart_markers,
    "jpeg-4mib-ff-in-entropy": jpeg_fill_bytes_in_entropy_data,
}


def judge(data: bytes) -> str:
    from service.uploads import NotAnImage, detect_image_type

    try:
        return "accepted " + detect_image_type(data)[1]
    except NotAnImage as error:
        return f"rejected: {error}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.upload_validation")
    parser.add_argument("--repeat", type=int, default=3, help="runs per input (best is shown)")
    args = parser.parse_args(argv)
    print(f"{'input':<27} {'bytes':>8} {'cpu ms':>8}  verdict")
    for name, make in INPUTS.items():
        data = make()
        assert len(data) <= LIMIT, name
        best = float("inf")
        for _ in range(args.repeat):
            started = time.process_time()
            verdict = judge(data)
            best = min(best, (time.process_time() - started) * 1000)
        print(f"{name:<27} {len(data):>8} {best:>8.1f}  {verdict[:70]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
