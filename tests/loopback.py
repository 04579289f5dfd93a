"""A raw HTTP server on 127.0.0.1 for tests of network faults.

Each connection's request head is read and recorded, then a handler writes whatever bytes it
likes on the socket: a normal answer (:func:`respond`), a reset (:func:`reset`), a short body,
a slow drip. Every connection is closed after its answer, so each request is its own
connection and ``server.seen`` counts what reached the server.

    with LoopbackServer(lambda request, conn: respond(conn, 200, body=b"hi")) as server:
        ... server.url("/page") ... len(server.seen) ...
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from types import TracebackType
from typing import Self

__all__ = ["LoopbackServer", "Seen", "reset", "respond"]

HOST = "127.0.0.1"


@dataclass(slots=True)
class Seen:
    """A request as the server read it."""

    method: str
    path: str
    headers: dict[str, str]  # lower-cased names, last value wins
    at: float  # time.monotonic() on arrival
    extra: dict[str, object] = field(default_factory=dict)  # filled by handlers (fake time)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


Handler = Callable[[Seen, socket.socket], None]


def respond(
    conn: socket.socket,
    status: int,
    headers: Iterable[tuple[str, str]] = (),
    body: bytes = b"",
    *,
    content_length: int | None = None,
) -> None:
    """Write a whole HTTP/1.1 answer (``Connection: close``); Content-Length may lie."""
    reason = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Status"
    length = len(body) if content_length is None else content_length
    lines = [f"HTTP/1.1 {status} {reason}", f"Content-Length: {length}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers]
    conn.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)


def reset(conn: socket.socket) -> None:
    """Close with a TCP RST instead of a FIN (SO_LINGER 0)."""
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()


class LoopbackServer:
    """A threaded raw server on a free port of 127.0.0.1 (a context manager).

    Args:
        handler: called in the connection's thread with the request and the socket.
    """

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.seen: list[Seen] = []
        self.stopping = threading.Event()
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind((HOST, 0))
        self._listener.listen(64)
        self._listener.settimeout(0.05)
        self.port: int = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._accepter = threading.Thread(target=self._accept, daemon=True)

    def url(self, path: str = "/", host: str = HOST) -> str:
        return f"http://{host}:{self.port}{path}"

    def start(self) -> Self:
        self._accepter.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self._accepter.join(5)
        self._listener.close()
        for thread in self._threads:
            thread.join(5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            with self._lock:
                self._threads.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            with contextlib.suppress(OSError):
                request = self._read_head(conn)
                if request is None:
                    return
                with self._lock:
                    self.seen.append(request)
                self.handler(request, conn)
                if conn.fileno() != -1:
                    conn.shutdown(socket.SHUT_WR)

    @staticmethod
    def _read_head(conn: socket.socket) -> Seen | None:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return None
            data += chunk
            if data.startswith(b"\x16"):  # a TLS ClientHello: let the handler answer it
                return Seen("TLS", "", {}, time.monotonic())
        head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
        method, path, _ = head[0].split(" ", 2)
        headers = {}
        for line in head[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        return Seen(method, path, headers, time.monotonic())
