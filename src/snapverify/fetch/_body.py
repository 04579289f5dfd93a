"""Response bodies: raw bytes hashed as received, ``Content-Encoding`` undone with a cap.

Private to :mod:`snapverify.fetch` (:mod:`~snapverify.fetch.http` reads bodies,
:mod:`~snapverify.fetch.replay` hashes stored ones with :func:`b32sha1`). :func:`read_body`
reads a streamed answer whole: it hashes the bytes as sent (the digest an archive lists),
undoes gzip, deflate (wrapped or raw) and, when the ``brotli`` module is installed, br,
counting the decoded bytes against the cap as they come, and tells a body cut short from
a complete one. Its failures are ``FetchError`` with ``reason`` ``too_large``,
``encoding`` or ``truncated``.
"""

from __future__ import annotations

import base64
import hashlib
import importlib
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx

from snapverify.errors import FetchError

__all__ = ["ACCEPT_ENCODING", "Body", "b32sha1", "read_body"]


def _load_brotli() -> Any:
    try:
        return importlib.import_module("brotli")
    except ImportError:
        return None


_BROTLI = _load_brotli()
# br is decoded when a server sends it unasked, but not asked for: brotli decoders cannot
# cap their output, so it is fed in small slices (see _Brotli).
ACCEPT_ENCODING = "gzip, deflate"
_MAX_CODINGS = 2


class _TooLarge(Exception):
    pass


class _Corrupt(Exception):
    pass


class _Incomplete(Exception):
    pass


class _Layer:
    """One content coding undone; output counted against the cap."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._out = 0

    def _count(self, chunk: bytes) -> bytes:
        self._out += len(chunk)
        if self._out > self._limit:
            raise _TooLarge
        return chunk

    def feed(self, data: bytes) -> bytes:
        return self._count(data)

    def finish(self) -> bytes:
        return b""


class _Inflate(_Layer):
    """gzip (several members allowed) or deflate (zlib-wrapped or raw)."""

    def __init__(self, coding: str, limit: int) -> None:
        super().__init__(limit)
        self._gzip = coding == "gzip"
        self._obj = zlib.decompressobj(zlib.MAX_WBITS | 16 if self._gzip else zlib.MAX_WBITS)
        self._started = False
        self._done = False

    def feed(self, data: bytes) -> bytes:
        out: list[bytes] = []
        while data and not self._done:
            if self._obj.eof:
                # Another gzip member continues the body; anything else after the end is junk.
                if not (self._gzip and data.startswith(b"\x1f\x8b")):
                    self._done = True
                    break
                self._obj = zlib.decompressobj(zlib.MAX_WBITS | 16)
            try:
                # max_length one past the room left: more output than that means too large.
                chunk = self._obj.decompress(data, self._limit - self._out + 1)
            except zlib.error as exc:
                if self._gzip or self._started:
                    raise _Corrupt(str(exc)) from exc
                # Some servers send deflate without the zlib wrapper the standard asks for.
                self._obj = zlib.decompressobj(-zlib.MAX_WBITS)
                self._started = True
                continue
            self._started = True
            out.append(self._count(chunk))
            data = self._obj.unconsumed_tail or (self._obj.unused_data if self._obj.eof else b"")
        return b"".join(out)

    def finish(self) -> bytes:
        if self._started and not (self._done or self._obj.eof):
            raise _Incomplete
        return b""


class _Brotli(_Layer):
    _SLICE = 64  # input bytes per call: bounds what one call can expand to

    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        self._obj = _BROTLI.Decompressor()
        self._started = False

    def feed(self, data: bytes) -> bytes:
        out: list[bytes] = []
        self._started = self._started or bool(data)
        step = getattr(self._obj, "process", None) or self._obj.decompress
        for start in range(0, len(data), self._SLICE):
            try:
                chunk = step(data[start : start + self._SLICE])
            except Exception as exc:  # brotli and brotlipy raise different error classes
                raise _Corrupt(str(exc)) from exc
            out.append(self._count(bytes(chunk)))
        return b"".join(out)

    def finish(self) -> bytes:
        if not self._started:
            return b""
        # Brotli has is_finished(); brotlipy's finish() raises on a cut stream.
        finished = getattr(self._obj, "is_finished", None)
        try:
            done = finished() if finished is not None else self._obj.finish() is not None
        except Exception as exc:
            raise _Incomplete from exc
        if not done:
            raise _Incomplete
        return b""


def _codings(headers: httpx.Headers, url: str) -> list[str]:
    """The content codings to undo, outermost first; refuses unknown or too many."""
    codings: list[str] = []
    for value in headers.get_list("content-encoding"):
        for coding in value.split(","):
            coding = coding.strip().lower()
            if coding and coding != "identity":
                codings.append("gzip" if coding == "x-gzip" else coding)
    if len(codings) > _MAX_CODINGS:
        raise FetchError(
            f"{url}: {len(codings)} stacked content encodings refused ({', '.join(codings)})",
            url=url,
            outcome="error",
            reason="encoding",
        )
    known = {"gzip", "deflate"} | ({"br"} if _BROTLI is not None else set())
    for coding in codings:
        if coding not in known:
            raise FetchError(
                f"{url}: unsupported content encoding {coding!r}",
                url=url,
                outcome="error",
                reason="encoding",
            )
    return codings[::-1]


def _layer(coding: str, limit: int) -> _Layer:
    return _Brotli(limit) if coding == "br" else _Inflate(coding, limit)


@dataclass(frozen=True, slots=True)
class Body:
    content: bytes
    raw_sha1: str
    sha1: str
    received: int
    raw: bytes | None = None  # the body as sent, when a content coding was undone
    partial: bool = False  # only the first ``keep`` bytes were read, on purpose


def b32sha1(data: bytes | hashlib._Hash) -> str:
    """The base32 SHA-1 of bytes (or of a hash fed already): the digest archives list."""
    digest = hashlib.sha1(data).digest() if isinstance(data, bytes) else data.digest()
    return base64.b32encode(digest).decode("ascii")


async def read_body(
    answer: httpx.Response, url: str, max_bytes: int, *, head: bool, keep: int | None = None
) -> Body:
    """Read a streamed body whole: raw SHA-1, decoded with a cap, checked for truncation.

    With ``keep``, only the first ``keep`` bytes as sent are read and the rest is left
    unread (the connection is then closed): the body is ``partial``, decoded as far as it
    goes, and never an error for being short.
    """
    chunks = _raw_chunks(answer)
    if chunks is None:
        digest = b32sha1(answer.content)
        return Body(answer.content, digest, digest, len(answer.content))
    # Codings are looked at once there is a body: a HEAD or 304 answer may name any.
    layers: list[_Layer] = []
    raw_hash = hashlib.sha1()
    received = 0
    parts: list[bytes] = []
    raw_parts: list[bytes] = []
    coded = False
    partial = False
    try:
        async for chunk in chunks:
            if keep is not None and received + len(chunk) >= keep:
                chunk, partial = chunk[: keep - received], True
            received += len(chunk)
            if received > max_bytes:
                raise _TooLarge
            raw_hash.update(chunk)
            if not layers:
                codings = _codings(answer.headers, url)
                layers = [_layer(c, max_bytes) for c in codings] or [_Layer(max_bytes)]
                coded = bool(codings)
            if coded:  # kept for archiving (Response.raw_content) only when it differs
                raw_parts.append(chunk)
            for layer in layers:
                chunk = layer.feed(chunk)
            parts.append(chunk)
            if partial:
                break
        if not partial:  # a partial body is decoded as far as it goes, never "incomplete"
            expected = _content_length(answer)
            if expected is not None and received < expected and not head:
                raise _Incomplete
            tail = b""
            for layer in layers:
                tail = layer.feed(tail) + layer.finish()
            parts.append(tail)
    except _TooLarge:
        raise FetchError(
            f"{url}: body larger than {max_bytes} bytes",
            url=url,
            outcome="error",
            reason="too_large",
        ) from None
    except _Corrupt as exc:
        raise FetchError(
            f"{url}: undecodable body ({exc})", url=url, outcome="error", reason="encoding"
        ) from exc
    except _Incomplete:
        raise FetchError(
            f"{url}: body ended early ({received} bytes received)",
            url=url,
            outcome="unreachable",
            reason="truncated",
        ) from None
    content = b"".join(parts)
    raw = b"".join(raw_parts) if coded else None
    return Body(content, b32sha1(raw_hash), b32sha1(content), received, raw, partial)


def _raw_chunks(answer: httpx.Response) -> AsyncIterator[bytes] | None:
    """The body as sent; None when only httpx's decoded copy is left."""
    if not answer.is_stream_consumed:
        return answer.aiter_raw()
    # An answer made with content= (MockTransport) was read and decoded when it was built;
    # the bytes as sent are still in its ByteStream (under a client's wrapper, if any).
    stream = answer.stream
    if not isinstance(stream, httpx.ByteStream):
        stream = getattr(stream, "_stream", stream)
    if isinstance(stream, httpx.ByteStream):
        return stream.__aiter__()
    return None


def _content_length(answer: httpx.Response) -> int | None:
    if answer.status_code in (204, 304) or answer.status_code < 200:
        return None
    value = answer.headers.get("content-length", "").split(",")[0].strip()
    # ASCII and at most 18 digits: "²" is a digit to isdigit(), and int() refuses 4,301.
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 18 else None
