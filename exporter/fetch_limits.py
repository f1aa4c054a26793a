"""Bounds a fetch cannot outgrow: one deadline over every byte of every hop, and
decompression that stops at the size limit instead of after it.

Why here and not in httpx's options: httpx's timeouts bound each read, so a server
sending a byte every half second never trips them, and its decoders inflate a whole
chunk before we can count it (a 1.6 KB brotli body becomes a gigabyte).
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable, Iterable
from typing import Any

import httpcore
import httpx

try:
    import brotli
except ImportError:  # not advertised to servers then
    brotli = None

ACCEPT_ENCODING = "gzip, deflate, br" if brotli else "gzip, deflate"
_BROTLI_ERRORS = (brotli.error,) if brotli else ()


class TooLarge(Exception):
    """The decoded body grew past the limit."""


class UnknownEncoding(Exception):
    """A Content-Encoding we did not offer (or several stacked)."""


class CorruptBody(Exception):
    """A compressed body that does not decompress."""


def decoded(raw: Iterable[bytes], encoding: str, limit: int) -> Iterable[bytes]:
    """The body's bytes decoded, never producing more than `limit` + 1 bytes in all."""
    inflate = _decoder(encoding.strip().lower())
    size = 0
    for chunk in raw:
        try:
            data = inflate(chunk, limit - size + 1)
        except (zlib.error, *_BROTLI_ERRORS) as err:
            raise CorruptBody(str(err)) from None
        size += len(data)
        if size > limit:
            raise TooLarge
        yield data


def _decoder(encoding: str) -> Callable[[bytes, int], bytes]:
    """A function (compressed chunk, most bytes wanted) -> decoded bytes."""
    if encoding in ("", "identity"):
        return lambda chunk, most: chunk
    if encoding in ("gzip", "x-gzip", "deflate"):
        return _ZlibDecoder(raw_fallback=encoding == "deflate")
    if encoding == "br" and brotli is not None:
        return _BrotliDecoder()
    raise UnknownEncoding(encoding)


class _ZlibDecoder:
    """gzip or zlib (detected from the header); "deflate" may also come raw."""

    def __init__(self, raw_fallback: bool) -> None:
        self._inflate = zlib.decompressobj(zlib.MAX_WBITS | 32)
        self._raw_fallback = raw_fallback
        self._started = False

    def __call__(self, chunk: bytes, most: int) -> bytes:
        try:
            data = self._inflate.decompress(chunk, most)
        except zlib.error:
            if not self._raw_fallback or self._started:
                raise
            self._inflate = zlib.decompressobj(-zlib.MAX_WBITS)  # servers that send it raw
            data = self._inflate.decompress(chunk, most)
        self._started = True
        return data  # reaching `most` leaves input behind, but the caller stops there


class _BrotliDecoder:
    def __init__(self) -> None:
        self._inflate = brotli.Decompressor()

    def __call__(self, chunk: bytes, most: int) -> bytes:
        return self._inflate.process(chunk, output_buffer_limit=most)


class DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's own sockets, each wait cut short at one deadline shared by all hops."""

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self._sockets = httpcore.SyncBackend()

    def left(self, timeout: float | None, error: type[Exception]) -> float:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise error("the fetch's deadline passed")
        return remaining if timeout is None else min(timeout, remaining)

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None, socket_options: Any = None) -> _DeadlineStream:
        stream = self._sockets.connect_tcp(host, port, self.left(timeout, httpcore.ConnectTimeout),
                                           local_address, socket_options)
        return _DeadlineStream(stream, self)

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Any = None) -> _DeadlineStream:
        raise httpcore.ConnectError("unix sockets are never fetched")

    def sleep(self, seconds: float) -> None:
        self._sockets.sleep(min(seconds, self.left(None, httpcore.PoolTimeout)))


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream, backend: DeadlineBackend) -> None:
        self._stream = stream
        self._backend = backend

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, self._backend.left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, self._backend.left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None,
                  timeout: float | None = None) -> _DeadlineStream:
        stream = self._stream.start_tls(ssl_context, server_hostname,
                                        self._backend.left(timeout, httpcore.ConnectTimeout))
        return _DeadlineStream(stream, self._backend)

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


def transport_with_deadline(deadline: float) -> Any:
    """An httpx transport whose every socket wait ends by `deadline` (time.monotonic)."""
    transport = httpx.HTTPTransport(trust_env=False)
    # httpx does not take a network backend; its pool does, and reads this attribute for
    # each new connection (tests/test_robustness.py fails if that ever changes).
    transport._pool._network_backend = DeadlineBackend(deadline)
    return transport
