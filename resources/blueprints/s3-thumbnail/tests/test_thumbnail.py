"""Unit tests of ThumbnailFunction: the image code on its own, and the handler against moto's S3."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from conftest import PROJECT, LambdaContext, load_handler_module
from moto import mock_aws

app = load_handler_module("thumbnail")
EVENTS = PROJECT / "events" / "ThumbnailFunction"
UPLOADS = "uploads-test"
THUMBS = "thumbnails-test"


def load_event(name: str) -> dict[str, Any]:
    event = json.loads((EVENTS / name).read_text(encoding="utf-8"))
    for record in event["Records"]:
        record["s3"]["bucket"]["name"] = UPLOADS
        record["s3"]["bucket"]["arn"] = f"arn:aws:s3:::{UPLOADS}"
    return event


def gradient_ppm(width: int, height: int) -> bytes:
    pixels = bytes(v for y in range(height) for x in range(width) for v in (x % 256, y % 256, 128))
    return b"P6\n# made by the tests\n%d %d\n255\n" % (width, height) + pixels


@pytest.fixture
def s3(aws_credentials: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """moto-backed buckets, and the handler pointed at them through its client factory."""
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=UPLOADS)
        client.create_bucket(Bucket=THUMBS)
        monkeypatch.setattr(app, "s3_client", lambda: client)
        monkeypatch.setenv("DEST_BUCKET", THUMBS)
        monkeypatch.setenv("THUMBNAIL_SIZE", "128")
        yield client


def test_upload_gets_a_thumbnail(s3: Any, lambda_context: LambdaContext) -> None:
    s3.put_object(Bucket=UPLOADS, Key="photos/sunset at the beach.ppm", Body=gradient_ppm(300, 200))
    result = app.lambda_handler(load_event("ppm-uploaded.json"), lambda_context)
    expected_key = "thumbnails/photos/sunset at the beach.ppm"
    assert result == {
        "results": [
            {
                "key": "photos/sunset at the beach.ppm",
                "status": "created",
                "thumbnail": expected_key,
                "size": [128, 85],
            }
        ]
    }
    written = s3.get_object(Bucket=THUMBS, Key=expected_key)
    assert written["ContentType"] == "image/x-portable-pixmap"
    assert written["Metadata"]["source-size"] == "300x200"
    thumb = app.decode_pnm(written["Body"].read())
    assert (thumb.width, thumb.height, thumb.channels) == (128, 85, 3)


def test_unsupported_upload_is_skipped(s3: Any, lambda_context: LambdaContext) -> None:
    result = app.lambda_handler(load_event("unsupported-upload.json"), lambda_context)
    assert result["results"][0]["key"] == "scans/contract(2).pdf"
    assert result["results"][0]["status"] == "skipped"
    assert s3.list_objects_v2(Bucket=THUMBS)["KeyCount"] == 0


def test_corrupt_image_is_skipped(s3: Any, lambda_context: LambdaContext) -> None:
    s3.put_object(Bucket=UPLOADS, Key="photos/sunset at the beach.ppm", Body=b"P6\n300 200\n255\n\x00\x01")
    result = app.lambda_handler(load_event("ppm-uploaded.json"), lambda_context)
    assert result["results"][0]["status"] == "skipped"
    assert "truncated" in result["results"][0]["reason"]


def test_thumbnails_are_never_thumbnailed(s3: Any, lambda_context: LambdaContext) -> None:
    event = load_event("ppm-uploaded.json")
    event["Records"][0]["s3"]["bucket"]["name"] = THUMBS
    assert app.lambda_handler(event, lambda_context)["results"][0]["status"] == "skipped"


def test_shrink_keeps_a_flat_colour_and_averages_boxes() -> None:
    flat = app.Image(40, 20, 3, bytes([10, 200, 30]) * 800)
    small = app.shrink(flat, 8)
    assert (small.width, small.height) == (8, 4)
    assert small.pixels == bytes([10, 200, 30]) * 32
    checker = app.Image(2, 2, 1, bytes([0, 255, 255, 0]))
    assert app.shrink(checker, 1).pixels == bytes([128])


def test_small_images_are_not_enlarged() -> None:
    assert app.thumbnail_size(50, 20, 128) == (50, 20)
    assert app.thumbnail_size(1000, 10, 100) == (100, 1)


def test_decode_grey_image_with_comment_and_low_maxval() -> None:
    image = app.decode_pnm(b"P5 # grey\n2 1 15\n\x00\x0f")
    assert (image.width, image.height, image.channels, image.pixels) == (2, 1, 1, b"\x00\xff")
    assert app.decode_pnm(image.encode()) == image


@pytest.mark.parametrize("data", [b"", b"P3\n1 1\n255\n0 0 0", b"P6\nx y\n255\n", b"P6\n1 1\n65535\n\x00"])
def test_decode_rejects_what_it_cannot_read(data: bytes) -> None:
    with pytest.raises(app.ImageError):
        app.decode_pnm(data)
