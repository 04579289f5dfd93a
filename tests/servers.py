"""The end-to-end harness: WARCs built in the test, a real pywb, a loopback origin.

Everything listens on 127.0.0.1 on a free port and is stopped by its owner:

- :func:`write_warc` writes :class:`Capture` specs as request/response record pairs.
- :class:`PywbServer` runs ``wb-manager`` and ``wayback`` (pywb) in a temporary folder and
  reads its access log (``requests``, ``capture_fetches``).
- :class:`OriginServer` is the live web: routes registered per path (pages, redirects,
  404/410, a soft 404, a slow drip) and a log of what was asked.

The :class:`Capture` specs and the capture sets the e2e tests check
(:func:`moscow_times_captures`, :func:`realdata_set`...) are in ``tests/captures.py``.
"""

from __future__ import annotations

import contextlib
import html
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BytesIO
from pathlib import Path
from typing import Any, NamedTuple, Self
from urllib.parse import urlsplit

import httpx
import yaml
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from captures import (
    Capture,
    parse_ts,
)
from support import FIXTURES

__all__ = [
    "GONE_PAGE",
    "HOST",
    "NOT_FOUND_PAGE",
    "LoggedRequest",
    "OriginRequest",
    "OriginServer",
    "PywbServer",
    "WebhookServer",
    "free_port",
    "write_warc",
]

HOST = "127.0.0.1"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


# -- WARCs ------------------------------------------------------------------------------


def _record_id(*parts: str) -> str:
    # Fixed record IDs (as warcio's own tests do): the same specs give the same WARC.
    return f"<urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, ' '.join(parts))}>"


def write_warc(path: Path, records: Sequence[Capture]) -> Path:
    """Write each capture as a response record and its request record (gzip WARC)."""
    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=True, warc_version="WARC/1.1")
        for capture in records:
            date = parse_ts(capture.timestamp).strftime("%Y-%m-%dT%H:%M:%SZ")
            reason = HTTPStatus(capture.status).phrase
            response = writer.create_warc_record(
                capture.url,
                "response",
                payload=BytesIO(capture.body),
                length=len(capture.body),
                http_headers=StatusAndHeaders(
                    f"{capture.status} {reason}", capture.response_headers(), protocol="HTTP/1.1"
                ),
                warc_headers_dict={
                    "WARC-Date": date,
                    "WARC-Record-ID": _record_id("response", capture.url, capture.timestamp),
                },
            )
            parts = urlsplit(capture.url)
            target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            request = writer.create_warc_record(
                capture.url,
                "request",
                payload=BytesIO(b""),
                length=0,
                http_headers=StatusAndHeaders(
                    f"GET {target} HTTP/1.1",
                    [("Host", parts.netloc), ("User-Agent", "snapverify-tests-crawler/1.0")],
                    is_http_request=True,
                ),
                warc_headers_dict={
                    "WARC-Date": date,
                    "WARC-Record-ID": _record_id("request", capture.url, capture.timestamp),
                },
            )
            writer.write_request_response_pair(request, response)
    return path


# -- pywb -------------------------------------------------------------------------------


class LoggedRequest(NamedTuple):
    """One line of pywb's access log: ``("GET", "/mt/20120528010203id_/https://...", 200)``."""

    method: str
    path: str
    status: int

    @property
    def internal(self) -> bool:
        """pywb asking its own warcserver (``/resource/postreq``, ``/index?``), not a client."""
        return (
            "/resource/postreq" in self.path or re.search(r"^/[^/]+/index\?", self.path) is not None
        )


_ACCESS = re.compile(r'^\S+ - - \[[^\]]*\] "(\S+) (\S+) HTTP/[\d.]+" (\d{3}) ')
_SYNC = "/__harness_sync__/"


def _script(name: str) -> str:
    # The venv's console script beside this interpreter (not resolved: that is the venv).
    candidate = Path(sys.executable).parent / name
    found = str(candidate) if candidate.exists() else shutil.which(name)
    if not found:
        raise RuntimeError(
            f"{name} not found beside {sys.executable} nor on PATH (pip install pywb)"
        )
    return found


class PywbServer:
    """pywb (``wayback``) serving WARCs built from captures, one collection per mapping key.

    Args:
        collections: collection name -> captures; the first is :attr:`base`'s.
        root: working folder (a temporary one, removed on stop, when ``None``).
        config: keys for pywb's ``config.yaml`` (e.g. ``{"redirect_to_exact": True}``);
            pywb's defaults otherwise.
        startup_timeout: seconds to wait for the CDX endpoint to answer.
    """

    def __init__(
        self,
        collections: Mapping[str, Sequence[Capture]],
        *,
        root: Path | None = None,
        config: Mapping[str, Any] | None = None,
        startup_timeout: float = 30.0,
    ) -> None:
        if not collections:
            raise ValueError("at least one collection")
        self.collections = {name: tuple(caps) for name, caps in collections.items()}
        self.name = next(iter(self.collections))
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self.root = root
        self.config = dict(config or {})
        self.startup_timeout = startup_timeout
        self.port = 0
        self.startup_seconds = 0.0
        self._proc: subprocess.Popen[bytes] | None = None
        self._log_file: Any = None
        self._start_line = 0
        self._syncs = 0

    @property
    def host(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def base(self) -> str:
        """``http://127.0.0.1:PORT/NAME``: what ``--archive`` takes."""
        return self.base_of(self.name)

    def base_of(self, collection: str) -> str:
        return f"{self.host}/{collection}"

    @property
    def log_path(self) -> Path:
        assert self.root is not None
        return self.root / "wayback.log"

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYWB_", "SOCKS_"))}
        env["PYTHONUNBUFFERED"] = "1"  # the access log is read while the server runs
        return env

    def _run(self, *args: str) -> None:
        assert self.root is not None
        done = subprocess.run(
            [_script("wb-manager"), *args],
            cwd=self.root,
            env=self._env(),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if done.returncode:
            raise RuntimeError(f"wb-manager {' '.join(args)} failed:\n{done.stdout}{done.stderr}")

    def start(self) -> PywbServer:
        """Build the collections, start wayback and wait until it answers.

        Raises:
            RuntimeError: wb-manager failed, or wayback exited or did not answer in time
                (the message holds the log's tail); nothing is left running.
        """
        try:
            self._prepare()
            started = time.monotonic()
            for attempt in range(3):  # a free port can be taken between choosing and binding
                try:
                    self._launch()
                    break
                except _PortTaken:
                    self._halt()
                    if attempt == 2:
                        raise
            self.startup_seconds = time.monotonic() - started
            self._start_line = len(self._lines())
        except BaseException:
            self.stop()
            raise
        return self

    def _prepare(self) -> None:
        if self.root is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="pywb-")
            self.root = Path(self._tmp.name)
        self.root.mkdir(parents=True, exist_ok=True)
        # An explicit config.yaml: pywb otherwise prints "No such file: ./config.yaml".
        (self.root / "config.yaml").write_text(
            "# written by tests/servers.py; pywb's defaults apply to everything else\n"
            + yaml.safe_dump({"enable_memento": True, **self.config}),
            encoding="utf-8",
        )
        for name, captures in self.collections.items():
            warc = write_warc(self.root / f"{name}.warc.gz", captures)
            self._run("init", name)
            self._run("add", name, str(warc))

    def _launch(self) -> None:
        assert self.root is not None
        self.port = free_port()
        self._log_file = self.log_path.open("ab")
        self._proc = subprocess.Popen(
            [_script("wayback"), "-b", HOST, "-p", str(self.port)],
            cwd=self.root,
            env=self._env(),
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + self.startup_timeout
        probe = f"{self.base}/cdx?url=https://harness.invalid/&limit=1"
        with httpx.Client(timeout=2.0) as client:
            while True:
                if self._proc.poll() is not None:
                    tail = self.log_tail()
                    if "Address already in use" in tail:
                        raise _PortTaken(tail)
                    raise RuntimeError(f"wayback exited with {self._proc.returncode}:\n{tail}")
                with contextlib.suppress(httpx.TransportError):
                    if client.get(probe).status_code == 200:
                        return
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"wayback did not answer {probe} in {self.startup_timeout} s:\n"
                        + self.log_tail()
                    )
                time.sleep(0.05)

    def log_tail(self, lines: int = 40) -> str:
        if self.root is None or not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text("utf-8", "replace").splitlines()[-lines:])

    def _halt(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def stop(self) -> None:
        """Terminate wayback (kill after 10 s), close the log, remove a temporary root."""
        self._halt()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> PywbServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- the access log -------------------------------------------------------------

    def _lines(self) -> list[str]:
        return self.log_path.read_text("utf-8", "replace").splitlines()

    def sync(self, timeout: float = 5.0) -> None:
        """Wait until every answered request is in the log (a marker request is logged last)."""
        self._syncs += 1
        marker = f"{_SYNC}{self._syncs}"
        with httpx.Client(timeout=timeout) as client:
            client.get(self.host + marker)
        deadline = time.monotonic() + timeout
        while not any(f" {marker} " in line for line in self._lines()[self._start_line :]):
            if time.monotonic() > deadline:
                raise RuntimeError(f"{marker} never reached {self.log_path}")
            time.sleep(0.01)

    def mark(self) -> int:
        """A position in the log: pass it as ``since`` to see only what came after."""
        self.sync()
        return len(self._lines())

    def requests(self, *, since: int | None = None, internal: bool = False) -> list[LoggedRequest]:
        """Requests answered since start (or ``since``), oldest first.

        Args:
            since: a :meth:`mark`; by default, everything after the startup probes.
            internal: also pywb's own calls to its warcserver (``POST .../resource/postreq``
                and ``GET .../index?``), which it logs beside the client's requests.
        """
        self.sync()
        out = []
        for line in self._lines()[self._start_line if since is None else since :]:
            match = _ACCESS.match(line)
            if not match or match.group(2).startswith(_SYNC):
                continue
            logged = LoggedRequest(match.group(1), match.group(2), int(match.group(3)))
            if internal or not logged.internal:
                out.append(logged)
        return out

    def capture_fetches(
        self, *, url: str | None = None, collection: str | None = None, since: int | None = None
    ) -> Counter[str]:
        """Raw (``{ts}id_/``) fetches per requested timestamp, optionally of one URL only."""
        coll = re.escape(collection or self.name)
        pattern = re.compile(rf"^/{coll}/(\d{{1,14}})id_/(.+)$")
        counts: Counter[str] = Counter()
        for logged in self.requests(since=since):
            match = pattern.match(logged.path)
            if logged.method == "GET" and match and (url is None or match.group(2) == url):
                counts[match.group(1)] += 1
        return counts

    def cdx_queries(self, *, since: int | None = None) -> list[LoggedRequest]:
        """CDX and TimeMap queries (what the IA rate limit of 24/min counts)."""
        return [
            r for r in self.requests(since=since) if re.match(r"^/[^/]+/(cdx\?|timemap/)", r.path)
        ]


class _PortTaken(RuntimeError):
    pass


# -- the live origin --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OriginRequest:
    method: str
    path: str
    headers: tuple[tuple[str, str], ...]

    def header(self, name: str) -> str | None:
        return next((v for n, v in self.headers if n.lower() == name.lower()), None)


@dataclass(frozen=True, slots=True)
class _Route:
    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()
    drip: float | None = None  # seconds between bytes
    delay: float | None = None  # seconds before the status line (a slow server)


NOT_FOUND_PAGE = b"<!DOCTYPE html><html><head><title>404 Not Found</title></head><body><h1>Not Found</h1></body></html>\n"  # noqa: E501
GONE_PAGE = b"<!DOCTYPE html><html><head><title>410 Gone</title></head><body><h1>Gone</h1><p>This article has been removed.</p></body></html>\n"  # noqa: E501


class _Threaded:
    """A ``ThreadingHTTPServer`` on loopback, served from a thread; stop() joins it all."""

    def __init__(self, port: int | None = None) -> None:
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.port = port or 0

    def _serve(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self.port = self.port or free_port()
        server = ThreadingHTTPServer((HOST, self.port), handler)
        server.daemon_threads = False  # server_close() joins the handler threads
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
        self._thread.start()

    def stop(self) -> None:
        """Stop serving, join every thread, close the socket."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> Self:
        raise NotImplementedError


class OriginServer(_Threaded):
    """A loopback web server whose routes the test registers; unknown paths answer 404.

    Args:
        port: a port chosen beforehand (``free_port()``), when captures must name the
            origin's URLs before it starts; a free one by default.
    """

    def __init__(self, port: int | None = None) -> None:
        self._routes: dict[str, _Route] = {}
        self._fallback: _Route | None = None  # what unknown paths answer (None: 404)
        self._log: list[OriginRequest] = []
        super().__init__(port)
        self._lock = threading.Lock()
        self._stopping = threading.Event()

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    def url(self, path: str) -> str:
        return self.base + path

    # -- routes (each returns the route's full URL) --

    def route(
        self,
        path: str,
        body: bytes | str = b"",
        *,
        status: int = 200,
        content_type: str = "text/html; charset=utf-8",
        headers: Sequence[tuple[str, str]] = (),
        drip: float | None = None,
    ) -> str:
        data = body.encode("utf-8") if isinstance(body, str) else body
        extra = (("Content-Type", content_type), *headers)
        with self._lock:
            self._routes[path] = _Route(status, data, tuple(extra), drip)
        return self.url(path)

    def page(self, path: str, body: bytes | str, **kwargs: Any) -> str:
        """200 with ``body``."""
        return self.route(path, body, **kwargs)

    def redirect(self, path: str, location: str, *, status: int = 301) -> str:
        """3xx to a path of this server or an absolute URL (Location sent as given)."""
        body = f'<html><body><a href="{html.escape(location)}">Moved</a></body></html>\n'
        return self.route(path, body, status=status, headers=[("Location", location)])

    def not_found(self, path: str) -> str:
        return self.route(path, NOT_FOUND_PAGE, status=404)

    def gone(self, path: str) -> str:
        return self.route(path, GONE_PAGE, status=410)

    def soft_404(self, path: str, body: bytes | None = None) -> str:
        """200 with a "Page not found" page (by default the Moscow Times-like one)."""
        return self.route(path, body or (FIXTURES / "soft404.html").read_bytes())

    def drip(self, path: str, body: bytes | str | None = None, *, interval: float = 0.25) -> str:
        """200 whose body comes one byte every ``interval`` s (Content-Length is the whole)."""
        default = b"<html><body><p>" + b"slow " * 80 + b"</p></body></html>\n"
        return self.route(path, default if body is None else body, drip=interval)

    def fallback(self, body: bytes | str, *, status: int = 200) -> None:
        """Answer every unregistered path with ``body`` (a site whose not-found page is a 200)."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        with self._lock:
            self._fallback = _Route(status, data, (("Content-Type", "text/html; charset=utf-8"),))

    def slow(self, path: str, seconds: float, body: bytes | str = b"<p>late</p>") -> str:
        """200 with ``body``, whose status line comes only after ``seconds`` (to HEAD too)."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        with self._lock:
            self._routes[path] = _Route(
                200, data, (("Content-Type", "text/html; charset=utf-8"),), delay=seconds
            )
        return self.url(path)

    # -- what was asked --

    def requests(self, path: str | None = None) -> list[OriginRequest]:
        with self._lock:
            return [r for r in self._log if path is None or r.path == path]

    # -- life --

    def start(self) -> OriginServer:
        origin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            timeout = 10  # a client that never sends its request cannot hold stop()

            def _answer(self, send_body: bool) -> None:
                with origin._lock:
                    origin._log.append(
                        OriginRequest(self.command, self.path, tuple(self.headers.items()))
                    )
                    route = origin._routes.get(self.path) or origin._routes.get(
                        urlsplit(self.path).path
                    )
                route = (
                    route
                    or origin._fallback
                    or _Route(404, NOT_FOUND_PAGE, (("Content-Type", "text/html"),))
                )
                self.close_connection = True
                if route.delay is not None and origin._stopping.wait(route.delay):
                    return
                self.send_response(route.status)
                for name, value in route.headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(route.body)))
                self.send_header("Connection", "close")
                self.end_headers()
                if not send_body:
                    return
                try:
                    if route.drip is None:
                        self.wfile.write(route.body)
                        return
                    for index in range(len(route.body)):
                        self.wfile.write(route.body[index : index + 1])
                        self.wfile.flush()
                        if origin._stopping.wait(route.drip):
                            return
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a deadline test): nothing to answer

            def do_GET(self) -> None:  # noqa: N802
                self._answer(True)

            def do_HEAD(self) -> None:  # noqa: N802
                self._answer(False)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass  # the request log above is the record; stderr stays quiet

        self._stopping.clear()
        self._serve(Handler)
        return self

    def stop(self) -> None:
        """Stop serving, end drips, join every thread, close the socket."""
        self._stopping.set()
        super().stop()


@dataclass(frozen=True)
class WebhookCall:
    """One POST a :class:`WebhookServer` received."""

    path: str
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


class WebhookServer(_Threaded):
    """A loopback webhook: answers every POST with ``status`` and keeps what it got."""

    def __init__(self, status: int = 204) -> None:
        super().__init__()
        self.status = status
        self.calls: list[WebhookCall] = []
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}/hook"

    def received(self) -> list[WebhookCall]:
        with self._lock:
            return list(self.calls)

    def start(self) -> WebhookServer:
        hook = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            timeout = 10

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with hook._lock:
                    hook.calls.append(WebhookCall(self.path, tuple(self.headers.items()), body))
                self.close_connection = True
                self.send_response(hook.status)
                self.send_header("Content-Length", "0")
                self.send_header("Connection", "close")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self._serve(Handler)
        return self
