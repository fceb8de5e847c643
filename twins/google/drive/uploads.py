"""Reading uploads: ``multipart/related`` bodies and resumable ``Content-Range`` headers."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from holdout_twins.core import Request, ServiceError
from holdout_twins.google.errors import google_error

_BOUNDARY = re.compile(r'boundary="?([^";]+)"?', re.I)
_RANGE = re.compile(r"bytes (?:(\d+)-(\d+)|\*)/(\d+|\*)")


@dataclass(frozen=True)
class Media:
    metadata: dict[str, Any]
    content: bytes
    content_type: str


@dataclass(frozen=True)
class ChunkRange:
    """``Content-Range: bytes first-last/total``; ``first`` None for a status query
    (``bytes */total``), ``total`` None while unknown (``/*``)."""

    first: int | None
    last: int | None
    total: int | None


def bad_upload(message: str) -> ServiceError:
    return google_error(400, "badContent", message)


def metadata(body: bytes) -> dict[str, Any]:
    """A JSON metadata part or body (empty: no metadata)."""
    if not body.strip():
        return {}
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise google_error(400, "parseError", "Invalid JSON payload received.") from None
    if not isinstance(data, dict):
        raise google_error(400, "parseError", "Invalid JSON payload received.")
    return data


def multipart(request: Request) -> Media:
    """The two parts of a ``multipart/related`` upload: JSON metadata, then the media."""
    found = _BOUNDARY.search(request.headers.get("content-type", ""))
    if request.content_type != "multipart/related" or found is None:
        raise bad_upload("Multipart uploads need a multipart/related body with a boundary.")
    delimiter = b"--" + found.group(1).encode()
    pieces = request.body.split(delimiter)
    parts = [_part(piece) for piece in pieces[1:] if not piece.startswith(b"--")]
    if len(parts) != 2:
        raise bad_upload("A multipart upload has a metadata part and a media part.")
    (_, head), (media_headers, media) = parts
    content_type = media_headers.get("content-type", "application/octet-stream")
    return Media(metadata(head), media, content_type.split(";", 1)[0].strip())


def _part(piece: bytes) -> tuple[dict[str, str], bytes]:
    """One part: its headers, then its bytes (the line break before the next delimiter is the
    delimiter's, not the part's)."""
    piece = piece[2:] if piece.startswith(b"\r\n") else piece.removeprefix(b"\n")
    for separator in (b"\r\n\r\n", b"\n\n"):
        head, found, body = piece.partition(separator)
        if found:
            break
    else:
        raise bad_upload("A multipart part has no headers.")
    if body.endswith(b"\r\n"):
        body = body[:-2]
    elif body.endswith(b"\n"):
        body = body[:-1]
    headers = {}
    for line in head.decode("latin-1").splitlines():
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return headers, body


def chunk_range(header: str | None, size: int) -> ChunkRange:
    """A chunk's ``Content-Range``; without one, the body is the whole upload."""
    if header is None:
        return ChunkRange(0, size - 1, size) if size else ChunkRange(None, None, 0)
    found = _RANGE.fullmatch(header.strip())
    if found is None:
        raise bad_upload(f"Invalid Content-Range: {header}")
    first, last, total = found.groups()
    known = None if total == "*" else int(total)
    if first is None:
        return ChunkRange(None, None, known)
    if int(last) < int(first) or int(last) - int(first) + 1 != size:
        raise bad_upload(f"Content-Range {header} does not match the {size} bytes sent.")
    return ChunkRange(int(first), int(last), known)
