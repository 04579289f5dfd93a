"""``snapverify evidence``: package a recorded check and what it saw as a WACZ bundle.

The bundle (:mod:`snapverify.evidence.wacz` for the layout) holds the WARCs whose
records the check compared (whole, byte for byte as stored, so their fixity manifests
still verify), the check's JSON and HTML reports, the local copy byte for byte (and its
``snapshot.toml``), the fixity manifests of those WARCs and ``custody/custody.jsonl``:
the check, each fetch it compared (URL, time, archive, IP address, HTTP status, payload
digest, snapverify version, command line) and the packaging itself. With ``--sign-key``
the data package's digest is signed (WACZ Auth), with ``--tsa`` timestamped (RFC 3161).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from snapverify._version import __version__
from snapverify.errors import IntegrityError, StorageError, UsageError
from snapverify.evidence import records as _records
from snapverify.evidence import wacz
from snapverify.snapshot import ARCHIVE_DIR, METADATA_FILE, find_store, read_file
from snapverify.store.access import NO_SPACE, describe_os_error
from snapverify.store.atomic import current_umask, write_atomic
from snapverify.store.fixity import is_manifest, parse_manifest
from snapverify.store.history import HISTORY_FILE, History

__all__ = ["CUSTODY", "REPORT_HTML", "REPORT_JSON", "EvidenceOptions", "EvidenceResult", "build"]

logger = logging.getLogger(__name__)

REPORT_JSON = "reports/check.json"
REPORT_HTML = "reports/check.html"
CUSTODY = "custody/custody.jsonl"
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True, slots=True)
class EvidenceOptions:
    """What ``evidence`` packages and how.

    Attributes:
        check_id: the recorded check to package (default: the snapshot's newest).
        tsa: TSA URLs to ask for an RFC 3161 token each.
        tsa_ca: PEM files of the CAs the tokens must verify against (checked at once).
        sign_key: a PEM ECDSA P-256 (or P-384) private key to sign the package with.
        allow_private: also allow loopback addresses (a TSA on this machine).
        allow_networks: further CIDR ranges to allow.
        timeout: seconds to connect and between reads, per TSA request.
        store: the store folder (default: found from the snapshot).
        command: the command line that made the bundle (recorded in the custody log).
    """

    check_id: int | None = None
    tsa: tuple[str, ...] = ()
    tsa_ca: tuple[Path, ...] = ()
    sign_key: Path | None = None
    allow_private: bool = False
    allow_networks: tuple[str, ...] = ()
    timeout: float = 30.0
    store: Path | None = None
    command: str | None = None


@dataclass(frozen=True, slots=True)
class EvidenceResult:
    """The bundle written."""

    path: Path
    check_id: int
    files: tuple[str, ...]
    fetches: int
    not_stored: tuple[str, ...]
    timestamps: tuple[str, ...]
    signed: bool
    sha256: str
    curve: str | None = None  # the signing key's curve (P-256, P-384)

    def as_dict(self) -> dict[str, Any]:
        return {
            "schema": "snapverify/evidence-v1",
            "path": str(self.path),
            "check_id": self.check_id,
            "files": list(self.files),
            "fetches": self.fetches,
            "not_stored": list(self.not_stored),
            "timestamps": list(self.timestamps),
            "signed": self.signed,
            "signature_curve": self.curve,
            "sha256": self.sha256,
        }


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _load_check(snapshot: Path, options: EvidenceOptions) -> tuple[int, dict[str, Any]]:
    store = options.store or find_store(snapshot)
    if not (store / HISTORY_FILE).is_file():
        raise UsageError(f"{snapshot}: no check recorded in {store}: run 'snapverify check' first")
    with History.open(store) as history:
        found = history.check_report(history.key(snapshot), options.check_id)
    if found is None:
        which = "no check" if options.check_id is None else f"no check {options.check_id}"
        raise UsageError(f"{snapshot}: {which} recorded in {store} (see 'snapverify history')")
    return found


def _manifests(folder: Path, names: set[str]) -> list[tuple[str, bytes]]:
    """The fixity manifests in ``folder`` that list one of the WARCs ``names``."""
    out = []
    for path in sorted(folder.iterdir()):
        if not (path.is_file() and is_manifest(path)):
            continue
        try:
            data = path.read_bytes()
            entries = parse_manifest(data, name=str(path))
        except (OSError, ValueError) as exc:
            logger.warning("%s: manifest left out: %s", path, exc)
            continue
        if any(entry.path in names for entry in entries):
            out.append((path.name, data))
    return out


def _page(line: dict[str, Any], title: str | None) -> dict[str, Any]:
    page = {
        "id": f"{line['source']}",
        "url": line["url"],
        "ts": line["time"] if line["role"] == "live" else _iso14(line["capture_timestamp"]),
        "title": title or line["url"],
    }
    return {k: v for k, v in page.items() if v}


def _iso14(value: str | None) -> str | None:
    if not value or len(value) < 14:
        return value
    return f"{value[0:4]}-{value[4:6]}-{value[6:8]}T{value[8:10]}:{value[10:12]}:{value[12:14]}Z"


def build(
    snapshot: Path, output: Path | None, options: EvidenceOptions | None = None
) -> EvidenceResult:
    """Package the newest (or a chosen) check of ``snapshot`` as a WACZ bundle.

    Args:
        snapshot: the snapshot's local copy.
        output: the bundle's path (default ``<local copy>-check<ID>.wacz`` in the
            current folder); an existing file is never replaced.
        options: what to package and how to timestamp and sign it.

    Returns:
        What was written.

    Raises:
        UsageError: no such check, nothing stored for it (run ``archive`` or
            ``check --snapshot-changes`` first), an existing output, a bad key (exit 2).
        IntegrityError: the local copy changed since the check (exit 5).
        AddressRefused, FetchError: a TSA refused by the address policy or that gave
            no good token (nothing is written).
    """
    from snapverify.report.html import render_html
    from snapverify.report.load import result_from_dict

    options = options or EvidenceOptions()
    if not snapshot.is_file():
        raise UsageError(f"{snapshot}: no such local copy", url=str(snapshot))
    check_id, report = _load_check(snapshot, options)
    local_bytes = read_file(snapshot)
    expected = (report.get("snapshot") or {}).get("sha256")
    if expected and hashlib.sha256(local_bytes).hexdigest() != expected:
        raise IntegrityError(
            f"{snapshot}: the local copy changed since check {check_id} (its SHA-256 is not "
            "the one the check recorded): check it again first",
            url=str(snapshot),
        )
    folder = snapshot.parent / ARCHIVE_DIR
    selection = _records.select_records(folder, snapshot.parent, report.get("sources") or [])
    if not selection.matched:
        raise UsageError(
            f"{snapshot}: check {check_id} stored nothing it compared: run "
            f"'snapverify archive --captures {snapshot}' or 'snapverify check "
            "--snapshot-changes' first, then check again"
        )
    output = output or Path(f"{_SAFE.sub('-', snapshot.stem)}-check{check_id}.wacz")
    if output.exists():
        raise UsageError(f"{output}: exists; name another file with -o", url=str(output))
    key = None
    if options.sign_key is not None:
        from snapverify.evidence.sign import load_signing_key

        key = load_signing_key(options.sign_key)
    roots = []
    if options.tsa_ca:
        from snapverify.evidence.tsa import load_certificates

        roots = load_certificates(options.tsa_ca)

    created = _now()
    resources: list[wacz.Resource] = []
    cdx: list[str] = []
    names: dict[Path, str] = {}
    for path in selection.files:
        data = path.read_bytes()
        name = path.name
        names[path] = f"archive/{name}"
        resources.append(wacz.Resource(f"archive/{name}", data))
        cdx += wacz.cdxj_lines(name, data)
    fetches = [_records.custody_line(m, names[m.page.file]) for m in selection.matched]
    title = (report.get("snapshot") or {}).get("title")
    pages = [_page(line, title) for line in fetches]
    local_name = _SAFE.sub("-", snapshot.name)
    custody: list[dict[str, Any]] = [
        {
            "event": "check",
            "check_id": check_id,
            "time": _iso14(report.get("checked_at")),
            "verdict": report.get("verdict"),
            "snapverify_version": report.get("version"),
            "command": report.get("command"),
            "local_copy": f"source/{local_name}",
            "local_copy_sha256": expected,
            "not_stored": list(selection.not_stored),
        },
        *fetches,
        {
            "event": "package",
            "time": wacz.iso(created),
            "snapverify_version": __version__,
            "command": options.command,
        },
    ]
    resources += [
        wacz.Resource("indexes/index.cdx.gz", wacz.index_gz(cdx)),
        wacz.Resource("indexes/index.cdxj", wacz.index_cdxj(cdx)),
        wacz.Resource("pages/pages.jsonl", wacz.pages_jsonl(pages)),
        wacz.Resource(
            REPORT_JSON, (json.dumps(report, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
        ),
        wacz.Resource(REPORT_HTML, render_html([result_from_dict(report)]).encode("utf-8")),
        wacz.Resource(f"source/{local_name}", local_bytes),
    ]
    metadata = snapshot.parent / METADATA_FILE
    if metadata.is_file():
        resources.append(wacz.Resource(f"source/{METADATA_FILE}", metadata.read_bytes()))
    for name, data in _manifests(folder, {p.name for p in selection.files}):
        resources.append(wacz.Resource(f"custody/{name}", data))
    lines = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in custody)
    resources.append(wacz.Resource(CUSTODY, lines.encode("utf-8")))

    live = next((line for line in fetches if line["role"] == "live"), fetches[0])
    # The tokens to come are named in the package they will cover, so a token removed
    # later is missed (a file the package cannot list, being made after it).
    token_paths = [f"timestamps/{name}" for name in _token_names(options.tsa)]
    package = wacz.datapackage(
        resources,
        created=created,
        title=f"snapverify evidence: {title or (report.get('snapshot') or {}).get('url')}",
        description=(
            f"Check {check_id} of {local_name} ({report.get('verdict')}), the pages it "
            "compared, the local copy, the reports and the chain of custody."
        ),
        main_page_url=live["url"],
        main_page_date=pages[fetches.index(live)].get("ts"),
        extra={
            "snapverify": {
                "check_id": check_id,
                "snapshot": report.get("snapshot"),
                "timestamps": token_paths,
            }
        },
    )
    digest = wacz.sha256_tag(package)
    signed = None
    if key is not None:
        from snapverify.evidence.sign import sign_digest

        signed = sign_digest(key, digest, wacz.iso(created))
    members = [
        *resources,
        wacz.Resource(wacz.DATAPACKAGE, package),
        wacz.Resource(wacz.DIGEST_FILE, wacz.digest_file(package, signed)),
    ]
    tokens = _timestamps(package, options, roots)
    members += tokens
    bundle = wacz.write_zip(members, created)
    try:
        write_atomic(output, bundle, mode=0o666 & ~current_umask())  # as other files: umask
    except OSError as exc:
        if exc.errno in NO_SPACE:
            raise StorageError(describe_os_error(exc, output), url=str(output)) from exc
        raise UsageError(f"cannot write {output}: {exc.strerror or exc}", url=str(output)) from exc
    return EvidenceResult(
        path=output,
        check_id=check_id,
        files=tuple(m.path for m in members),
        fetches=len(fetches),
        not_stored=selection.not_stored,
        timestamps=tuple(t.path for t in tokens),
        signed=signed is not None,
        sha256=hashlib.sha256(bundle).hexdigest(),
        curve=None if key is None else _curve_name(key.curve.name),
    )


def _curve_name(name: str) -> str:
    from snapverify.evidence.sign import CURVE_NAMES

    return CURVE_NAMES.get(name, name)


def _token_names(urls: Sequence[str]) -> list[str]:
    """``NAME.tsr`` for each TSA URL, unique, in order."""
    from snapverify.evidence.tsa import token_name

    names: list[str] = []
    for url in urls:
        names.append(token_name(url, names))
    return names


def _timestamps(
    package: bytes, options: EvidenceOptions, roots: Sequence[Any]
) -> list[wacz.Resource]:
    if not options.tsa:
        return []
    from snapverify.evidence.tsa import request_token
    from snapverify.pipeline.check import make_policy

    policy = make_policy(
        [], allow_private=options.allow_private, allow_networks=options.allow_networks
    )

    async def ask() -> list[wacz.Resource]:
        out: list[wacz.Resource] = []
        for url, name in zip(options.tsa, _token_names(options.tsa), strict=True):
            reply = await request_token(
                url, package, policy=policy, timeout=options.timeout, roots=roots
            )
            out.append(wacz.Resource(f"timestamps/{name}", reply))
        return out

    return asyncio.run(ask())
