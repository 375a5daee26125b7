"""S3 upload processor: shrinks each uploaded Netpbm image (PPM/PGM) to a thumbnail in another bucket."""

from __future__ import annotations

import logging
import os
import posixpath
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

import boto3

logger = logging.getLogger()
logger.setLevel(os.environ.get("LOG_LEVEL", "INFO"))

SUPPORTED_SUFFIXES = {".ppm": "image/x-portable-pixmap", ".pgm": "image/x-portable-graymap"}
THUMBNAIL_PREFIX = "thumbnails/"

_client: Any = None


def s3_client() -> Any:
    """The S3 client, created once per execution environment; tests replace this function."""
    global _client
    if _client is None:
        _client = boto3.client("s3")
    return _client


class ImageError(ValueError):
    """The object is not an image this function understands."""


@dataclass(frozen=True)
class Image:
    """An 8-bit Netpbm image: 1 channel (P5, grey) or 3 channels (P6, RGB), rows top to bottom."""

    width: int
    height: int
    channels: int
    pixels: bytes

    def encode(self) -> bytes:
        magic = b"P6" if self.channels == 3 else b"P5"
        return b"%s\n%d %d\n255\n" % (magic, self.width, self.height) + self.pixels


def decode_pnm(data: bytes) -> Image:
    """Parse a binary PPM (P6) or PGM (P5) image with a maximum value of at most 255."""
    fields: list[bytes] = []
    pos = 0
    while len(fields) < 4:
        while pos < len(data) and data[pos : pos + 1].isspace():
            pos += 1
        if data[pos : pos + 1] == b"#":
            end = data.find(b"\n", pos)
            pos = len(data) if end < 0 else end + 1
            continue
        start = pos
        while pos < len(data) and not data[pos : pos + 1].isspace():
            pos += 1
        if start == pos:
            raise ImageError("truncated header")
        fields.append(data[start:pos])
    pos += 1  # exactly one whitespace byte separates the header from the pixels
    magic, *numbers = fields
    if magic not in (b"P5", b"P6"):
        raise ImageError(f"not a binary PGM/PPM image (magic {magic[:2]!r})")
    try:
        width, height, maxval = (int(number) for number in numbers)
    except ValueError as exc:
        raise ImageError("header sizes are not numbers") from exc
    if width <= 0 or height <= 0 or not 0 < maxval <= 255:
        raise ImageError(f"unsupported size {width}x{height} or maximum value {maxval}")
    channels = 3 if magic == b"P6" else 1
    pixels = data[pos : pos + width * height * channels]
    if len(pixels) != width * height * channels:
        raise ImageError("pixel data is truncated")
    if maxval != 255:
        pixels = bytes(value * 255 // maxval for value in pixels)
    return Image(width, height, channels, pixels)


def thumbnail_size(width: int, height: int, longest: int) -> tuple[int, int]:
    """The size that fits in longest x longest keeping the aspect ratio; never enlarges."""
    scale = min(1.0, longest / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _spans(size: int, new_size: int) -> list[tuple[int, int]]:
    """The source range [start, end) each of new_size output pixels covers (new_size <= size)."""
    return [(i * size // new_size, (i + 1) * size // new_size) for i in range(new_size)]


def shrink(image: Image, longest: int) -> Image:
    """Box-filter the image down: each thumbnail pixel is the mean of the source pixels it covers."""
    new_w, new_h = thumbnail_size(image.width, image.height, longest)
    if (new_w, new_h) == (image.width, image.height):
        return image
    ch = image.channels
    row_len = image.width * ch
    columns = _spans(image.width, new_w)
    out = bytearray()
    for y0, y1 in _spans(image.height, new_h):
        for x0, x1 in columns:
            count = (y1 - y0) * (x1 - x0)
            for c in range(ch):
                total = 0
                for row in range(y0, y1):
                    base = row * row_len + c
                    total += sum(image.pixels[base + x0 * ch : base + x1 * ch : ch])
                out.append((total + count // 2) // count)
    return Image(new_w, new_h, ch, bytes(out))


def thumbnail_key(source_key: str) -> str:
    return THUMBNAIL_PREFIX + source_key


def process_object(bucket: str, key: str, dest_bucket: str, longest: int) -> dict[str, Any]:
    """Read one uploaded object, write its thumbnail; say what was done."""
    suffix = posixpath.splitext(key)[1].lower()
    if suffix not in SUPPORTED_SUFFIXES:
        logger.info("skipping s3://%s/%s: not a .ppm or .pgm image", bucket, key)
        return {"key": key, "status": "skipped", "reason": f"unsupported type {suffix or '(none)'}"}
    client = s3_client()
    data = client.get_object(Bucket=bucket, Key=key)["Body"].read()
    try:
        image = decode_pnm(data)
    except ImageError as exc:
        logger.warning("skipping s3://%s/%s: %s", bucket, key, exc)
        return {"key": key, "status": "skipped", "reason": str(exc)}
    thumb = shrink(image, longest)
    dest_key = thumbnail_key(key)
    client.put_object(
        Bucket=dest_bucket,
        Key=dest_key,
        Body=thumb.encode(),
        ContentType=SUPPORTED_SUFFIXES[suffix],
        Metadata={"source-bucket": bucket, "source-key": key, "source-size": f"{image.width}x{image.height}"},
    )
    logger.info(
        "s3://%s/%s (%dx%d) -> s3://%s/%s (%dx%d)",
        bucket,
        key,
        image.width,
        image.height,
        dest_bucket,
        dest_key,
        thumb.width,
        thumb.height,
    )
    return {"key": key, "status": "created", "thumbnail": dest_key, "size": [thumb.width, thumb.height]}


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Entry point for S3 ObjectCreated notifications; one record per uploaded object."""
    dest_bucket = os.environ["DEST_BUCKET"]
    longest = int(os.environ.get("THUMBNAIL_SIZE", "128"))
    results = []
    for record in event.get("Records", []):
        bucket = record["s3"]["bucket"]["name"]
        # Keys arrive URL-encoded, with spaces as '+'.
        key = unquote_plus(record["s3"]["object"]["key"])
        if bucket == dest_bucket or key.startswith(THUMBNAIL_PREFIX):
            # Never thumbnail a thumbnail: that would trigger this function again and again.
            results.append({"key": key, "status": "skipped", "reason": "already a thumbnail"})
            continue
        results.append(process_object(bucket, key, dest_bucket, longest))
    return {"results": results}
