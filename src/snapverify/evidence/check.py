"""``snapverify verify FILE.wacz``: check an evidence bundle offline.

In order, each a *part* that holds or fails (the first failure ends the check):

1. ``zip``: the file is a ZIP whose members pass their CRC, with safe names;
2. ``datapackage``: ``datapackage.json`` is a WACZ data package;
3. ``digest``: ``datapackage-digest.json`` holds the SHA-256 of ``datapackage.json``;
4. ``resources``: every listed file is there with its hash and size, and every file
   (but the data package files and the timestamps) is listed;
5. ``layout``: the file is byte for byte the ZIP ``evidence`` writes of those members
   (so a byte changed in a header, a date or the central directory fails too);
6. ``warc``: every WARC record's block and payload digests, every gzip member whole;
7. ``manifests``: the fixity manifests' entries of the bundled WARCs;
8. ``signature``: the WACZ Auth signature, when there is one;
9. ``timestamps``: every token the data package names is there; each RFC 3161 token
   is over ``datapackage.json`` and, with CA certificates given, verifies against
   them as of the token's own time;
10. ``findings``: the comparison, re-run from the bundle's local copy and stored pages,
    gives the report's content and ``archive_disagreement`` findings (kinds, passages,
    word diffs, fingerprints), each finding's fingerprint is the one its text gives,
    and the report's verdict is the one its findings give.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shlex
import tempfile
import zipfile
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any, Final

from cryptography import x509

from snapverify._version import __version__
from snapverify.evidence import wacz
from snapverify.evidence.build import CUSTODY, REPORT_HTML, REPORT_JSON
from snapverify.models import CheckResult, Verdict

__all__ = ["MAX_BUNDLE_BYTES", "BundleCheck", "Part", "verify_bundle"]

MAX_BUNDLE_BYTES: Final = 4 << 30
"""A bundle whose members unpack to more than this is refused before reading them."""

_CONTENT: Final = frozenset({"edited", "missing", "added", "moved", "metadata"})
_DISAGREEMENT: Final = "archive_disagreement"
_UNLISTED: Final = frozenset({wacz.DATAPACKAGE, wacz.DIGEST_FILE})


@dataclass(frozen=True, slots=True)
class Part:
    """One part of the check: its name, whether it holds, what was found."""

    name: str
    ok: bool
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return {"part": self.name, "ok": self.ok, "detail": self.detail}


@dataclass(frozen=True, slots=True)
class BundleCheck:
    """Every part checked, in order; the last one failed when the bundle does not hold."""

    path: Path
    parts: tuple[Part, ...]

    @property
    def failed(self) -> Part | None:
        return next((p for p in self.parts if not p.ok), None)

    @property
    def exit_code(self) -> int:
        return 0 if self.failed is None else 5

    def as_dict(self) -> dict[str, Any]:
        failed = self.failed
        return {
            "schema": "snapverify/evidence-verify-v1",
            "path": str(self.path),
            "ok": failed is None,
            "exit_code": self.exit_code,
            "failed": None if failed is None else failed.name,
            "parts": [p.as_dict() for p in self.parts],
        }


class _Failed(Exception):
    def __init__(self, part: str, detail: str) -> None:
        super().__init__(detail)
        self.part = part
        self.detail = detail


def verify_bundle(path: Path, *, tsa_ca: Sequence[x509.Certificate] = ()) -> BundleCheck:
    """Check an evidence bundle offline (see the module docstring for the parts).

    Args:
        path: the ``.wacz`` file.
        tsa_ca: trusted CA certificates for the timestamp tokens (none: each token's
            imprint is checked, its signer is not).

    Returns:
        The parts checked; ``exit_code`` 0 when all hold, 5 otherwise.
    """
    parts: list[Part] = []
    try:
        _check(path, tsa_ca, parts)
    except _Failed as failure:
        parts.append(Part(failure.part, False, failure.detail))
    return BundleCheck(path, tuple(parts))


def _check(path: Path, tsa_ca: Sequence[x509.Certificate], parts: list[Part]) -> None:
    members = _read_zip(path)
    parts.append(Part("zip", True, f"{len(members)} members, every CRC holds"))

    package_bytes = members.get(wacz.DATAPACKAGE)
    if package_bytes is None:
        raise _Failed("datapackage", f"{wacz.DATAPACKAGE} is missing")
    try:
        package = json.loads(package_bytes)
        resources = package["resources"]
        if not isinstance(resources, list) or not package.get("wacz_version"):
            raise ValueError("no resources or no wacz_version")
        if not all(isinstance(resource, dict) for resource in resources):
            raise ValueError("a resource is not an object")
    except (ValueError, KeyError, TypeError) as exc:
        raise _Failed("datapackage", f"not a WACZ data package: {exc}") from exc
    parts.append(
        Part("datapackage", True, f"WACZ {package['wacz_version']}, {len(resources)} resources")
    )

    digest_bytes = members.get(wacz.DIGEST_FILE)
    if digest_bytes is None:
        raise _Failed("digest", f"{wacz.DIGEST_FILE} is missing")
    try:
        digest = json.loads(digest_bytes)
    except ValueError as exc:
        raise _Failed("digest", f"{wacz.DIGEST_FILE} is not JSON: {exc}") from exc
    if not isinstance(digest, dict):
        raise _Failed("digest", f"{wacz.DIGEST_FILE} is not a JSON object")
    package_hash = wacz.sha256_tag(package_bytes)
    if digest.get("hash") != package_hash:
        raise _Failed("digest", f"{wacz.DIGEST_FILE} does not hold the hash of {wacz.DATAPACKAGE}")
    parts.append(Part("digest", True, package_hash))

    listed: set[str] = set()
    for resource in resources:
        name = str(resource.get("path", ""))
        listed.add(name)
        data = members.get(name)
        if data is None:
            raise _Failed("resources", f"{name}: listed in {wacz.DATAPACKAGE} but missing")
        if len(data) != resource.get("bytes") or wacz.sha256_tag(data) != resource.get("hash"):
            raise _Failed("resources", f"{name}: its hash or size is not the listed one")
    for name in members:
        if name not in listed and name not in _UNLISTED and not _is_token(name):
            raise _Failed(
                "resources", f"{name}: in the bundle but not listed in {wacz.DATAPACKAGE}"
            )
    parts.append(Part("resources", True, f"{len(resources)} files, hashes and sizes hold"))
    parts.append(_check_layout(path, members, package.get("created")))

    warcs = sorted(n for n in listed if n.startswith("archive/") and ".warc" in n)
    if not warcs:
        raise _Failed("warc", "no WARC in archive/")
    records = _check_warcs(members, warcs)
    parts.append(Part("warc", True, f"{records} records in {len(warcs)} WARC(s), digests hold"))

    parts.append(_check_manifests(members, listed))

    signed = digest.get("signedData")
    if signed is not None:
        from snapverify.evidence.sign import verify_signed_data

        if not isinstance(signed, Mapping):
            raise _Failed("signature", "signedData is not an object")
        problem = verify_signed_data(signed, package_hash, package.get("created"))
        if problem is not None:
            raise _Failed("signature", problem)
        parts.append(Part("signature", True, f"ECDSA signature by key {_short(signed)} holds"))

    own = package.get("snapverify")
    declared = own.get("timestamps") if isinstance(own, Mapping) else None
    if not isinstance(declared, list | None):
        raise _Failed("timestamps", f"{wacz.DATAPACKAGE}: its timestamps are not a list")
    parts.append(_check_tokens(members, package_bytes, tsa_ca, declared or ()))
    parts.append(_rerun(members))


def _read_zip(path: Path) -> dict[str, bytes]:
    try:
        with zipfile.ZipFile(path) as archive:
            size = sum(info.file_size for info in archive.infolist())
            if size > MAX_BUNDLE_BYTES:
                raise _Failed("zip", f"{size} bytes unpacked: more than a bundle may hold")
            bad = archive.testzip()
            if bad is not None:
                raise _Failed("zip", f"{bad}: damaged (its CRC fails)")
            members: dict[str, bytes] = {}
            for info in archive.infolist():
                name = info.filename
                pure = PurePosixPath(name)
                if pure.is_absolute() or ".." in pure.parts or "\\" in name or name in members:
                    raise _Failed("zip", f"{name!r}: an unsafe or repeated member name")
                if info.is_dir():
                    continue
                members[name] = archive.read(info)
    except (OSError, zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError) as exc:
        raise _Failed("zip", f"{path}: not a readable ZIP: {exc}") from exc
    except RuntimeError as exc:  # a member marked encrypted or of an unknown compression
        raise _Failed("zip", f"{path}: a member cannot be read: {exc}") from exc
    return members


def _is_token(name: str) -> bool:
    pure = PurePosixPath(name)
    return len(pure.parts) == 2 and pure.parts[0] == "timestamps" and pure.suffix == ".tsr"


def _short(signed: Mapping[str, Any]) -> str:
    key = str(signed.get("publicKey", ""))
    return hashlib.sha256(key.encode("ascii", "replace")).hexdigest()[:16]


def _check_warcs(members: Mapping[str, bytes], warcs: Sequence[str]) -> int:
    from snapverify.store.warc import verify_warc

    total = 0
    with tempfile.TemporaryDirectory(prefix="snapverify-wacz-") as folder:
        for name in warcs:
            path = Path(folder) / PurePosixPath(name).name
            path.write_bytes(members[name])
            count, problems = verify_warc(path)
            if problems:
                what = problems[0].describe().replace(str(path), name)
                raise _Failed("warc", what)
            total += count
    return total


def _check_manifests(members: Mapping[str, bytes], listed: set[str]) -> Part:
    from snapverify.store.fixity import is_manifest, parse_manifest

    checked = 0
    manifests = sorted(n for n in listed if n.startswith("custody/") and is_manifest(Path(n)))
    for name in manifests:
        try:
            entries = parse_manifest(members[name], name=name)
        except ValueError as exc:
            raise _Failed("manifests", str(exc)) from exc
        for entry in entries:
            data = members.get(f"archive/{entry.path}")
            if data is None:
                continue  # the run's readable export is not bundled
            if hashlib.sha256(data).hexdigest() != entry.sha256:
                raise _Failed("manifests", f"{name}: archive/{entry.path} is not the file it lists")
            checked += 1
    return Part("manifests", True, f"{checked} WARC(s) match {len(manifests)} fixity manifest(s)")


def _check_layout(path: Path, members: Mapping[str, bytes], created: Any) -> Part:
    """The file is byte for byte the ZIP ``evidence`` writes of these members, in this
    order, dated ``created``: a byte changed outside every member's data (a header, a
    date, the central directory) is caught too, though no hash covers it."""
    try:
        when = datetime.strptime(str(created), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError as exc:
        raise _Failed("layout", f"{wacz.DATAPACKAGE}: created {created!r} is not a time") from exc
    ordered = [wacz.Resource(name, data) for name, data in members.items()]
    if wacz.write_zip(ordered, when) != path.read_bytes():
        raise _Failed(
            "layout",
            "the file is not the ZIP its members make (a header, a date or the central "
            "directory changed, or another tool rewrote it)",
        )
    return Part("layout", True, "the ZIP is byte for byte the one its members make")


def _check_tokens(
    members: Mapping[str, bytes],
    package: bytes,
    roots: Sequence[x509.Certificate],
    declared: Sequence[object] = (),
) -> Part:
    from snapverify.evidence.tsa import check_token

    tokens = sorted(n for n in members if _is_token(n))
    for name in declared:
        if str(name) not in members:
            raise _Failed(
                "timestamps",
                f"{name}: named in {wacz.DATAPACKAGE} but missing (a token was removed)",
            )
    if not tokens:
        if roots:
            raise _Failed("timestamps", "--tsa-ca given but the bundle holds no timestamp token")
        return Part("timestamps", True, "no timestamp token")
    said = []
    for name in tokens:
        token = check_token(members[name], package, roots=roots)
        if token.problem is not None:
            raise _Failed("timestamps", f"{name}: {token.problem}")
        when = wacz.iso(token.time) if token.time else "?"
        trust = (
            "signature and chain verified"
            if token.chain_checked
            else "signer not checked (give --tsa-ca)"
        )
        said.append(f"{name}: {when} by {token.tsa or 'an unnamed TSA'}, {trust}")
    return Part("timestamps", True, "; ".join(said))


def _ignore_options(command: str | None) -> tuple[list[str], str | None]:
    """The ``--ignore`` patterns and ``--url`` of the check's command line."""
    if not command:
        return [], None
    try:
        words = shlex.split(command)
    except ValueError:
        return [], None
    ignore: list[str] = []
    url = None
    for i, word in enumerate(words):
        for option in ("--ignore", "--url"):
            value = None
            if word == option and i + 1 < len(words):
                value = words[i + 1]
            elif word.startswith(option + "="):
                value = word.split("=", 1)[1]
            if value is not None:
                if option == "--ignore":
                    ignore.append(value)
                else:
                    url = value
    return ignore, url


def _key(finding: Mapping[str, Any]) -> tuple[Any, ...]:
    diff = tuple(tuple(op) for op in finding.get("diff") or ())
    return (
        finding.get("kind"),
        finding.get("field"),
        finding.get("local_block"),
        finding.get("insert_after"),
        finding.get("local_text"),
        finding.get("remote_text"),
        diff,
        bool(finding.get("substantive")),
    )


def _check_verdict(result: CheckResult, custody: Sequence[Mapping[str, Any]]) -> None:
    """The report's verdict and exit code are the ones its findings give, and the
    custody log says the same verdict."""
    substantive = any(finding.substantive for finding in result.findings)
    # As the history annotates a check: acknowledged findings still make it "changed",
    # but no longer fail it (exit 0).
    failing = any(f.substantive and not f.acknowledged for f in result.findings)
    given = {Verdict.CHANGED: True, Verdict.UNCHANGED: False}.get(result.verdict)
    if given is not None and (given != substantive or result.exit_code != int(failing)):
        said = "a substantive finding" if substantive else "no substantive finding"
        raise _Failed(
            "findings",
            f"the report's verdict {result.verdict} (exit {result.exit_code}) is not what "
            f"its findings give ({said}): the report was edited",
        )
    check = next((line for line in custody if line.get("event") == "check"), None)
    if check is not None and check.get("verdict") != str(result.verdict):
        raise _Failed(
            "findings",
            f"{CUSTODY} says verdict {check.get('verdict')}, the report {result.verdict}",
        )


def _rerun(members: Mapping[str, bytes]) -> Part:
    from snapverify.compare import compare_documents
    from snapverify.compare.corroborate import corroborate
    from snapverify.compare.fingerprint import fingerprint
    from snapverify.errors import SnapverifyError
    from snapverify.models import Document
    from snapverify.pipeline.files import compile_ignore
    from snapverify.pipeline.offline import stored_source
    from snapverify.report.load import result_from_dict
    from snapverify.snapshot import read_local_copy
    from snapverify.store.warc import StoredPage, read_records
    from snapverify.text.extract import prepare_reference

    try:
        report = json.loads(members[REPORT_JSON])
        result = result_from_dict(report)
        custody = [
            json.loads(line) for line in members[CUSTODY].decode("utf-8").splitlines() if line
        ]
        if not all(isinstance(line, dict) for line in custody):
            raise ValueError(f"a line of {CUSTODY} is not a JSON object")
    except (KeyError, ValueError) as exc:
        raise _Failed("findings", f"the report or the custody log is unreadable: {exc}") from exc
    for number, finding in enumerate(result.findings, 1):
        if finding.fingerprint is not None and fingerprint(finding) != finding.fingerprint:
            raise _Failed(
                "findings",
                f"finding {number} ({finding.kind}): its text does not give its fingerprint "
                f"{finding.fingerprint}: the report was edited",
            )
    _check_verdict(result, custody)
    html = members.get(REPORT_HTML)
    if html is not None and result.version == __version__:
        from snapverify.report.html import render_html

        if render_html([result]).encode("utf-8") != html:
            raise _Failed("findings", f"{REPORT_HTML} is not the rendering of {REPORT_JSON}")
    check = next((line for line in custody if line.get("event") == "check"), None)
    fetches = [line for line in custody if line.get("event") == "fetch"]
    if check is None or not fetches:
        raise _Failed("findings", "the custody log names no check or no fetch")
    local_name = str(check.get("local_copy", ""))
    local_bytes = members.get(local_name)
    if local_bytes is None:
        raise _Failed("findings", f"the local copy {local_name} is missing")
    if hashlib.sha256(local_bytes).hexdigest() != result.snapshot.sha256:
        raise _Failed("findings", f"{local_name} is not the local copy the report names")
    ignore, url = _ignore_options(result.command)
    with tempfile.TemporaryDirectory(prefix="snapverify-wacz-") as folder:
        base = Path(folder)
        for name, data in members.items():
            pure = PurePosixPath(name)
            if pure.parts[0] == "source" and len(pure.parts) == 2:
                (base / pure.name).write_bytes(data)
        try:
            copy = read_local_copy(
                base / PurePosixPath(local_name).name, url=url or result.snapshot.url or None
            )
            patterns = compile_ignore([*copy.ignore, *ignore])
        except SnapverifyError as exc:
            raise _Failed("findings", f"the bundle's local copy cannot be read: {exc}") from exc
        pages: dict[tuple[str, str], StoredPage] = {}
        for name in {str(line.get("warc")) for line in fetches}:
            if name not in members:
                raise _Failed("findings", f"the custody log names {name}, which is not bundled")
            path = base / PurePosixPath(name).name
            try:
                records = read_records(path, members[name])
            except ValueError as exc:  # a WARC cut inside a record is never read as whole
                said = str(exc).removeprefix(f"{path}: ")
                raise _Failed("findings", f"{name}: {said}") from exc
            for page in records:
                pages[(name, page.record_id)] = page
        local: Document = copy.document
        prepare_reference(local)
        memo: dict[str, Document | str] = {}
        pairs = []
        for line in fetches:
            stored = pages.get((str(line.get("warc")), str(line.get("record_id"))))
            if stored is None or stored.offset != line.get("offset"):
                raise _Failed(
                    "findings", f"{line.get('source')}: its record is not in {line.get('warc')}"
                )
            source, document = stored_source(stored, base, local, memo)
            pairs.append((dataclasses.replace(source, id=str(line.get("source"))), document))
        comparison = compare_documents(local, pairs, ignore=patterns)
        # The archives' copies against each other, as the check did: each capture's
        # archive as the custody log names it.
        archives = {
            str(line.get("source")): str(line.get("archive"))
            for line in fetches
            if line.get("role") == "capture" and line.get("archive")
        }
        disagreements = corroborate(pairs, ignore=patterns, archives=archives)
    bundled = {str(line.get("source")) for line in fetches}
    # A disagreement one of whose captures is not bundled cannot be re-derived whole:
    # left out on both sides (the custody log names what was not stored).
    partial = {
        finding.get("fingerprint")
        for finding in report.get("findings") or []
        if finding.get("kind") == _DISAGREEMENT and not set(finding.get("sources") or ()) <= bundled
    }
    expected: Counter[tuple[Any, ...]] = Counter()
    for finding in report.get("findings") or []:
        seen = set(finding.get("sources") or ()) & bundled
        kind = finding.get("kind")
        if (kind in _CONTENT and seen) or (
            kind == _DISAGREEMENT and finding.get("fingerprint") not in partial
        ):
            expected[(*_key(finding), finding.get("fingerprint"), frozenset(seen))] += 1
    found: Counter[tuple[Any, ...]] = Counter()
    for finding in (*comparison.findings, *disagreements):
        kind = str(finding.kind)
        printed = fingerprint(finding)
        if kind in _CONTENT or (kind == _DISAGREEMENT and printed not in partial):
            found[(*_key(finding.as_dict()), printed, frozenset(finding.sources))] += 1
    if expected != found:
        missing = expected - found
        extra = found - expected
        version = (
            ""
            if result.version == __version__
            else (f" (the check ran snapverify {result.version}, this is {__version__})")
        )
        if missing:
            what = next(iter(missing))
            raise _Failed(
                "findings",
                f"the report's {what[0]} finding {what[-2]} (block {what[2]}) is not what the "
                f"bundle's pages show{version}",
            )
        what = next(iter(extra))
        raise _Failed(
            "findings",
            f"the bundle's pages show a {what[0]} finding {what[-2]} (block {what[2]}) the "
            f"report does not list{version}",
        )
    count = sum(expected.values())
    return Part(
        "findings",
        True,
        f"re-run from the bundle: {len(pairs)} stored page(s) give the report's {count} "
        "content and archive-disagreement finding(s)",
    )
