"""Image type detection by content, and file name sanitising."""

from __future__ import annotations

import pytest

from service.uploads import NotAnImage, detect_image_type, sanitize_file_name
from tests import images


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


def test_png_must_start_with_ihdr():
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
