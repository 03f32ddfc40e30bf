"""Image type detection by content, and file name sanitising."""

from __future__ import annotations

import pytest

from service.uploads import MAX_PIXELS, NotAnImage, detect_image_type, sanitize_file_name
from tests.benchmarks import upload_validation as crafted
from tests.support import images
from tests.support.crafted_images import (
    DHT,
    DQT,
    EOI,
    IDAT,
    IEND,
    JPEG_WITHOUT_FRAME,
    PNG_WITHOUT_IDAT,
    POLYGLOTS,
    SIG,
    SOF0,
    SOI,
    SOS,
    chunk,
    ihdr,
    segment,
    sof,
)


def test_png_and_jpeg_are_detected():
    assert detect_image_type(images.png(8, 8)) == ("image/png", "png")
    assert detect_image_type(images.jpeg()) == ("image/jpeg", "jpg")


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x89PNG\r\n\x1a\n",
        images.png()[:20],
        images.png().replace(b"IHDR", b"IHDX"),  # checksum no longer matches
        images.png() + b"\x00",
        b"\xff\xd8\xff\xe0\x00\x10JFIF",
        images.jpeg() + b"junk",
        b"GIF87a",
        b"BM" + b"\x00" * 60,
        b"RIFF\x00\x00\x00\x00WEBPVP8 ",
    ],
)
def test_malformed_or_other_formats_are_rejected(data):
    with pytest.raises(NotAnImage):
        detect_image_type(data)


def test_png_must_start_withihdr():
    good = images.png()
    header_end = 8 + 25  # signature + IHDR chunk
    swapped = good[:8] + good[header_end:-12] + good[8:header_end] + good[-12:]
    with pytest.raises(NotAnImage, match="IHDR"):
        detect_image_type(swapped)


@pytest.mark.parametrize(
    ("name", "extension", "expected"),
    [
        ("photo.png", "png", "photo.png"),
        ("photo.JPEG", "jpg", "photo.jpeg"),
        ("photo.png", "jpg", "photo.jpg"),
        ("../../../etc/passwd", "png", "passwd.png"),
        ("C:\\Users\\me\\cat.jpg", "jpg", "cat.jpg"),
        ('a<b>c:d"e|f?g*h.png', "png", "a_b_c_d_e_f_g_h.png"),
        ("tab\there.png", "png", "tab_here.png"),
        ("....png", "png", "image.png"),
        (None, "jpg", "image.jpg"),
        ("ｆｕｌｌ.png", "png", "ｆｕｌｌ.png"),
    ],
)
def test_file_names_are_sanitised(name, extension, expected):
    assert sanitize_file_name(name, extension) == expected


def test_file_names_are_bounded():
    assert len(sanitize_file_name("é" * 1000 + ".png", "png")) == 200


# ---------------------------------------------------------------- structure (issue 11, item 15)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (PNG_WITHOUT_IDAT, "no image data"),  # structurally empty
        (SIG + ihdr() + IDAT + chunk(b"tEXt", b"a\x00b") + IDAT + IEND, "not consecutive"),
        (SIG + ihdr() + IDAT + ihdr() + IEND, "misplaced IHDR"),
        (SIG + ihdr(colour=3) + IDAT + IEND, "no palette"),
        (SIG + ihdr() + IDAT + chunk(b"PLTE", b"\x00" * 3) + IEND, "misplaced PLTE"),
        (SIG + ihdr() + chunk(b"ABCD", b"") + IDAT + IEND, "unknown critical"),
        (SIG + ihdr() + chunk(b"ab1d", b"") + IDAT + IEND, "four letters"),
        (SIG + ihdr(width=0) + IDAT + IEND, "positive"),
        (SIG + ihdr(width=2**31) + IDAT + IEND, "positive"),
        (SIG + ihdr(width=100_000, height=100_000) + IDAT + IEND, "pixels"),
        (SIG + ihdr(depth=3) + IDAT + IEND, "bit depth"),
        (SIG + ihdr(colour=2, depth=4) + IDAT + IEND, "bit depth"),
        (SIG + ihdr(interlace=2) + IDAT + IEND, "unknown method"),
        (SIG + chunk(b"IHDR", b"\x00" * 12) + IDAT + IEND, "wrong length"),
        (SIG + ihdr() + IDAT + chunk(b"IEND", b"x"), "end chunk is not empty"),
        (SIG + ihdr() + IDAT + IEND + IEND, "after the PNG end"),
    ],
)
def test_malformed_png_structures_are_rejected(data, reason):
    with pytest.raises(NotAnImage, match=reason):
        detect_image_type(data)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (JPEG_WITHOUT_FRAME, "before its frame header"),  # no SOF
        (SOI + DQT + SOF0 + DHT + EOI, "no image data"),  # no scan
        (SOI + SOF0 + SOF0 + DHT + SOS + b"\x00" + EOI, "two frame headers"),
        (SOI + sof(width=0) + SOS + b"\x00" + EOI, "positive"),
        (SOI + sof(height=0) + SOS + b"\x00" + EOI, "positive"),
        (SOI + sof(width=65535, height=65535) + SOS + b"\x00" + EOI, "pixels"),
        (SOI + sof(components=5) + SOS + b"\x00" + EOI, "wrong length"),
        (SOI + sof(extra=b"\x00") + SOS + b"\x00" + EOI, "wrong length"),
        (SOI + segment(0xC0, b"\x08") + SOS + EOI, "truncated"),
        (SOI + SOF0 + SOS + b"\x00\x00", "no end marker"),
        (SOI + SOF0 + SOS + b"\x00" + EOI + b"<html>", "after the JPEG end"),
        (SOI + SOF0 + b"\xff\xd0" + SOS + b"\x00" + EOI, "misplaced marker"),  # RST outside
        (SOI + SOF0 + SOI + SOS + b"\x00" + EOI, "misplaced marker"),
        (SOI + SOF0 + b"\xff\x00" + SOS + b"\x00" + EOI, "misplaced marker"),
        (SOI + SOF0 + b"\x00\x00" + SOS + b"\x00" + EOI, "structure is broken"),
        (SOI + b"\xff\xfe\x00\x01" + SOF0 + SOS + EOI, "past the end"),  # length below 2
    ],
)
def test_malformed_jpeg_structures_are_rejected(data, reason):
    with pytest.raises(NotAnImage, match=reason):
        detect_image_type(data)


@pytest.mark.parametrize(
    "data",
    [
        SOI + SOF0 + DHT + SOS + b"\x12\xff\x00\x34\xff\xd3\x56" + EOI,  # stuffing, RST3
        SOI + SOF0 + DHT + SOS + b"\x01" + DHT + SOS + b"\x02" + EOI,  # progressive: 2 scans
        SOI + b"\xff\xff\xff" + SOF0 + SOS + b"\x00\xff\xff" + EOI,  # fill bytes
        SOI + segment(0xE1, b"Exif\x00\x00" + SOI + SOF0 + EOI) + SOF0 + SOS + b"\x00" + EOI,
        SIG + ihdr(colour=3) + chunk(b"PLTE", b"\x00" * 3) + IDAT + IEND,
        SIG + ihdr(colour=6, depth=16, interlace=1) + IDAT + IDAT + IEND,
        SIG + ihdr(width=9459, height=9459) + IDAT + IEND,  # 89,472,681 pixels: under the limit
    ],
    ids=["stuffing-rst", "progressive", "fill", "exif-thumbnail", "palette", "rgba16-adam7",
         "at-limit"],
)  # fmt: skip
def test_valid_structures_are_accepted(data):
    assert detect_image_type(data)[1] in ("png", "jpg")
    assert MAX_PIXELS >= 9459 * 9459


@pytest.mark.parametrize("name", sorted(POLYGLOTS))
def test_polyglots_are_accepted_as_the_images_they_also_are(name):
    assert detect_image_type(POLYGLOTS[name])[0] in ("image/png", "image/jpeg")


@pytest.mark.parametrize(
    ("name", "verdict"),
    [("png-many-tiny-chunks", "rejected: PNG has more than 10000 chunks"),
     ("png-one-4mib-text-chunk", "accepted png"),
     ("jpeg-4mib-fill-bytes", "accepted jpg"),
     ("jpeg-many-tiny-segments", "rejected: JPEG has more than 1000 segments"),
     ("jpeg-4mib-stuffed-entropy", "accepted jpg"),
     ("jpeg-2m-restart-markers", "accepted jpg"),
     ("jpeg-4mib-ff-in-entropy", "accepted jpg")],
)  # fmt: skip
def test_crafted_4_mib_inputs_get_a_verdict(name, verdict):
    # Their cost is measured by `python -m tests.benchmarks.upload_validation`.
    assert crafted.judge(crafted.INPUTS[name]()) == verdict
