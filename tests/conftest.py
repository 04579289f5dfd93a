"""Fixtures of the end-to-end harness (tests/servers.py, tests/captures.py) on 127.0.0.1."""

from __future__ import annotations

import gzip
import ipaddress
import os
import socket
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from captures import (
    Capture,
    RealdataSet,
    moscow_times_captures,
    quirk_captures,
    realdata_page_missing,
    realdata_set,
)
from servers import OriginServer, PywbServer
from support import FIXTURES, ROOT, seed_snapshot

# Names the suite may look up: everything else would send a DNS query off this machine.
_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})
_real_getaddrinfo = socket.getaddrinfo
LOOKUPS_REFUSED: list[str] = []  # names a test asked the system resolver for, refused


def _is_numeric(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]").partition("%")[0])
    except ValueError:
        return False
    return True


def _loopback_only_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    name = host.decode("ascii", "replace") if isinstance(host, bytes) else host
    if name is None or _is_numeric(name) or name.lower().rstrip(".") in _LOOPBACK_NAMES:
        return _real_getaddrinfo(host, *args, **kwargs)
    test = os.environ.get("PYTEST_CURRENT_TEST", "").rpartition(" ")[0]
    LOOKUPS_REFUSED.append(f"{name} ({test})" if test else name)
    raise socket.gaierror(socket.EAI_NONAME, f"{name}: lookups leave 127.0.0.1 (refused in tests)")


@pytest.fixture(autouse=True, scope="session")
def _no_dns_lookups() -> Iterator[None]:
    """The socket guard (pytest-socket) stops connections; this stops the name lookups
    before them, which the system resolver would otherwise send to the network's DNS
    server. A name that is not loopback fails as an unknown host; tests that need names
    pass a resolver stub."""
    socket.getaddrinfo = _loopback_only_getaddrinfo
    try:
        yield
    finally:
        socket.getaddrinfo = _real_getaddrinfo


@pytest.fixture(autouse=True)
def _dns_guard_again(_no_dns_lookups: None) -> None:
    """The guard again before each test: pytest-socket's enable_socket (the teardown of a
    test that called disable_socket) puts back the getaddrinfo it saw at import, the
    system's, which left every later test without the guard."""
    socket.getaddrinfo = _loopback_only_getaddrinfo


@pytest.fixture(autouse=True)
def _hermetic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test runs with a temporary HOME, XDG folders and working folder, so nothing
    it does reads or writes the user's files or the repository (the store's upward search
    stops at HOME, which is the test's own temporary folder)."""
    monkeypatch.setenv("HOME", str(tmp_path))
    for name in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME"):
        folder = tmp_path / ".xdg" / name.removeprefix("XDG_").removesuffix("_HOME").lower()
        monkeypatch.setenv(name, str(folder))
    # The user's own settings never change a result (SNAPVERIFY_SHARED only says where
    # the real data lies).
    for name in ("SNAPVERIFY_ALLOW_PRIVATE", "SNAPVERIFY_TEST_KILL_AT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="session", autouse=True)
def _repository_store_untouched() -> Iterator[None]:
    """No test writes into the repository's own ``snapshots/.snapverify/``: the session
    fails at its end when a file there was added, removed or changed."""
    before = _listing(ROOT / "snapshots" / ".snapverify")
    yield
    after = _listing(ROOT / "snapshots" / ".snapverify")
    assert after == before, "a test wrote into the repository's snapshots/.snapverify/"


def _listing(folder: Path) -> dict[str, tuple[int, int]]:
    return {
        str(path.relative_to(folder)): (path.stat().st_size, path.stat().st_mtime_ns)
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


@pytest.fixture(scope="session")
def pywb_mt(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PywbServer]:
    """pywb serving the Moscow Times set as collection ``mt`` (``pywb_mt.base``).

    A second collection, ``quirks``, holds the self-redirect captures that show how pywb
    replays them (``pywb_mt.base_of("quirks")``). Started once per session: compare access
    log counts from a :meth:`PywbServer.mark`, not from zero.
    """
    server = PywbServer(
        {"mt": moscow_times_captures(), "quirks": quirk_captures()},
        root=tmp_path_factory.mktemp("pywb-mt"),
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def realdata(tmp_path_factory: pytest.TempPathFactory) -> RealdataSet:
    """The real-page set: local copy (Markdown, in a session temporary folder) and captures.

    Copy ``realdata.local_copy`` into the test's own ``tmp_path`` before a check that writes
    a store beside it.
    """
    reason = realdata_page_missing()
    if reason:
        pytest.skip(reason)
    return realdata_set(tmp_path_factory.mktemp("realdata") / "politifact-value-of-drugs")


@pytest.fixture(scope="session")
def pywb_realdata(
    realdata: RealdataSet, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[PywbServer]:
    """pywb serving the real-page captures as collection ``realdata``."""
    server = PywbServer({"realdata": realdata.captures}, root=tmp_path_factory.mktemp("pywb-rd"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def origin() -> Iterator[OriginServer]:
    """A loopback origin with no routes yet (every path answers 404 until registered)."""
    server = OriginServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def make_pywb(tmp_path: Path) -> Iterator[Callable[..., PywbServer]]:
    """Start pywb with other captures (e.g. of the origin's URLs); stopped after the test.

    ``make_pywb({"coll": captures}, config={"redirect_to_exact": True})`` returns a
    started :class:`PywbServer`.
    """
    started: list[PywbServer] = []

    def make(collections: Mapping[str, Sequence[Capture]], **kwargs: Any) -> PywbServer:
        kwargs.setdefault("root", tmp_path / f"pywb-{len(started)}")
        server = PywbServer(collections, **kwargs)
        started.append(server)
        return server.start()

    try:
        yield make
    finally:
        for server in started:
            server.stop()


# -- the fuzz suite's budget (tests/test_fuzz.py) ---------------------------------------
# "fuzz": what CI runs, the whole file within a minute; "fuzz-long" (pytest --fuzz-long):
# minutes of fresh random examples, run by hand. Both give each example 2 s at most.
for _profile, _examples in (("fuzz", 100), ("fuzz-long", 10000)):
    settings.register_profile(
        _profile,
        max_examples=_examples,
        deadline=2000,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--fuzz-long",
        action="store_true",
        help="Run tests/test_fuzz.py with the fuzz-long hypothesis profile (minutes).",
    )


def pytest_configure(config: pytest.Config) -> None:
    # Read by tests/test_fuzz.py when it is imported (after this hook).
    os.environ["SV_FUZZ_PROFILE"] = "fuzz-long" if config.getoption("--fuzz-long") else "fuzz"


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Say which names tests tried to look up (refused by the DNS guard above)."""
    if LOOKUPS_REFUSED:
        names = "; ".join(sorted(set(LOOKUPS_REFUSED)))
        terminalreporter.write_line(
            f"DNS lookups refused (tests must not leave 127.0.0.1): {names}"
        )


@pytest.fixture
def mt_site(tmp_path: Path, origin: OriginServer, make_pywb: Callable[..., PywbServer]) -> Any:
    """The Moscow Times article served live by a loopback origin (gzip-encoded, as many
    sites send it) and archived by a pywb collection ``mt`` under the origin's URL, with
    the seed in a snapshot folder whose ``snapshot.toml`` names that URL.

    Returns an object with ``origin``, ``pywb``, ``url``, ``local`` (the local copy's
    path) and ``args`` (the network options a command needs to reach both servers).
    """
    path = "/2012/05/27/kazakh-massacre-cover-up-a15040"
    url = origin.url(path)
    body = (FIXTURES / "capture-original.html").read_bytes()
    origin.page(path, gzip.compress(body, mtime=0), headers=[("Content-Encoding", "gzip")])
    pywb = make_pywb({"mt": moscow_times_captures(url=url, old_url=origin.url("/old/459295.html"))})
    local = seed_snapshot(tmp_path)
    (local.parent / "snapshot.toml").write_text(f'url = "{url}"\n', "utf-8")
    args = ["--archive", pywb.base, "--allow-private-addresses"]
    return SimpleNamespace(origin=origin, pywb=pywb, url=url, local=local, args=args, body=body)
