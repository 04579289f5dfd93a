"""``snapverify verify``: recompute every stored digest and manifest entry.

What is checked, for each path given (a WARC, a manifest, a local copy, a snapshot
folder, an ``archive/`` folder or a folder of snapshots):

- every WARC: each record's ``WARC-Block-Digest`` and ``WARC-Payload-Digest``, that
  every record has a block digest, and that every gzip member is whole
  (:func:`snapverify.store.warc.verify_warc`);
- every fixity manifest: each listed file exists and has the listed SHA-256;
- every local copy: its SHA-256 against the one recorded at its first check (the
  history), else at its first archive run (the oldest WARC's warcinfo); a local copy
  with neither is reported as not yet recorded, not as a failure.

Any failure names the file; the exit code is then 5.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from snapverify.errors import InputError, SnapverifyError, UsageError
from snapverify.report import printable
from snapverify.snapshot import (
    ARCHIVE_DIR,
    STORE_DIR,
    WARC_SUFFIXES,
    find_local_copies,
    find_store,
)
from snapverify.store.fixity import is_manifest, parse_manifest, sha256_file
from snapverify.store.history import HISTORY_FILE, History
from snapverify.store.warc import iter_warcs, read_warcinfo, verify_warc

__all__ = ["VERIFY_SCHEMA", "VerifyProblem", "VerifyReport", "verify"]

logger = logging.getLogger(__name__)

VERIFY_SCHEMA = "snapverify/verify-v1"


@dataclass(frozen=True, slots=True)
class VerifyProblem:
    """One failure: the file and what is wrong with it."""

    path: str
    problem: str

    def describe(self) -> str:
        return f"{self.path}: {self.problem}"


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """What ``verify`` checked and what failed.

    Attributes:
        warcs: WARC files checked.
        records: WARC records whose digests were recomputed.
        manifests: manifests read.
        entries: manifest entries checked.
        local_copies: local copies compared with their recorded SHA-256.
        databases: history databases read (and their integrity checked).
        recorded_files: archived files the histories record.
        not_recorded: local copies with no recorded SHA-256 yet.
        unlisted: archive files no manifest lists (a run stopped before its manifest).
        problems: the failures.
        stores: the stores whose history was read, as given or found.
    """

    warcs: int = 0
    records: int = 0
    manifests: int = 0
    entries: int = 0
    local_copies: int = 0
    databases: int = 0
    recorded_files: int = 0
    not_recorded: tuple[str, ...] = ()
    unlisted: tuple[str, ...] = ()
    problems: tuple[VerifyProblem, ...] = ()
    stores: tuple[str, ...] = ()

    @property
    def exit_code(self) -> int:
        return 5 if self.problems else 0

    def summary(self) -> str:
        """One line: what was checked."""
        parts = [
            f"{self.warcs} WARC{'s' * (self.warcs != 1)} ({self.records} records)",
            f"{self.manifests} manifest{'s' * (self.manifests != 1)} ({self.entries} files)",
            f"{self.local_copies} local cop{'ies' if self.local_copies != 1 else 'y'}",
        ]
        if self.databases:
            parts.append(
                f"{self.databases} history database{'s' * (self.databases != 1)} "
                f"({self.recorded_files} archived files it records)"
            )
        if self.stores:
            parts[-1] += f" in {', '.join(self.stores)}"
        return "checked " + ", ".join(parts)

    def as_dict(self) -> dict[str, Any]:
        return {
            "schema": VERIFY_SCHEMA,
            "exit_code": self.exit_code,
            "warcs": self.warcs,
            "records": self.records,
            "manifests": self.manifests,
            "entries": self.entries,
            "local_copies": self.local_copies,
            "databases": self.databases,
            "recorded_files": self.recorded_files,
            "not_recorded": list(self.not_recorded),
            "unlisted": list(self.unlisted),
            "problems": [{"path": p.path, "problem": p.problem} for p in self.problems],
            "stores": list(self.stores),
        }


class _Verifier:
    def __init__(self, store: Path | None) -> None:
        self.store = store
        self.warcs = self.records = self.manifests = self.entries = self.copies = 0
        self.databases = self.recorded_files = 0
        self.stores: list[str] = []  # the stores whose history was read
        self.history_files: list[tuple[Path, str]] = []  # (file, sha256) archive runs recorded
        self.listed: set[Path] = set()  # files some manifest lists
        self.problems: list[VerifyProblem] = []
        self.not_recorded: list[str] = []
        self.unlisted: list[str] = []
        self.done: set[Path] = set()
        # store -> its history, opened once (None: no history, or an unusable one)
        self.histories: dict[Path, History | None] = {}

    def close(self) -> None:
        for history in self.histories.values():
            if history is not None:
                history.close()

    def fail(self, path: Path, problem: str) -> None:
        # Printable (a file name's undecodable bytes as \xff), and the path said once.
        shown = printable(str(path))
        self.problems.append(VerifyProblem(shown, printable(problem.removeprefix(f"{path}: "))))

    def warc(self, path: Path) -> None:
        if not self._first(path):
            return
        count, problems = verify_warc(path)
        self.warcs += 1
        self.records += count
        for problem in problems:
            where = f"offset {problem.offset}: " if problem.offset is not None else ""
            self.fail(path, f"{where}{problem.problem}")

    def manifest(self, path: Path) -> None:
        """Check a manifest's entries (the files it lists join ``listed``)."""
        if not self._first(path):
            return
        self.manifests += 1
        try:
            entries = parse_manifest(path.read_bytes(), name=str(path))
        except OSError as exc:
            self.fail(path, f"unreadable: {exc.strerror or exc}")
            return
        except ValueError as exc:
            self.fail(path, str(exc))
            return
        for entry in entries:
            target = path.parent / entry.path
            self.listed.add(target.resolve())
            self.entries += 1
            try:
                actual = sha256_file(target)
            except FileNotFoundError:
                self.fail(target, f"missing (listed in {path.name})")
                continue
            except OSError as exc:
                self.fail(target, f"unreadable: {exc.strerror or exc}")
                continue
            if actual != entry.sha256:
                self.fail(
                    target,
                    f"SHA-256 {actual} does not match {entry.sha256} listed in {path.name}",
                )

    def archive_folder(self, folder: Path) -> None:
        if not self._first(folder):
            return
        for path in sorted(folder.iterdir()):
            if path.is_file() and is_manifest(path):
                self.manifest(path)
        for path in iter_warcs(folder):
            self.warc(path)
        for path in sorted(folder.iterdir()):
            if path.name.startswith(".") or not path.is_file() or is_manifest(path):
                continue
            if path.resolve() not in self.listed:
                self.unlisted.append(printable(str(path)))

    def local_copy(self, path: Path) -> None:
        if not self._first(path):
            return
        try:
            actual = sha256_file(path)
        except OSError as exc:
            self.fail(path, f"unreadable: {exc.strerror or exc}")
            return
        self.copies += 1
        recorded, where = self._recorded(path)
        if recorded is None:
            self.not_recorded.append(printable(str(path)))
        elif recorded != actual:
            self.fail(
                path,
                f"the local copy changed since {where}: SHA-256 {actual}, recorded {recorded}",
            )
        archive = path.parent / ARCHIVE_DIR
        if archive.is_dir():
            self.archive_folder(archive)
        self.recorded()

    def _history(self, store: Path) -> History | None:
        """The store's history, opened and its integrity checked once per verify."""
        key = store.resolve()
        if key in self.histories:
            return self.histories[key]
        self.histories[key] = None
        database = store / HISTORY_FILE
        if not database.is_file():
            return None
        try:
            history = History.open(store)
        except UsageError:
            raise  # a newer schema: exit 2, as for every command
        except SnapverifyError as exc:
            self.fail(database, exc.message)
            return None
        self.databases += 1
        self.stores.append(str(store))
        try:
            history.integrity_check()
        except SnapverifyError as exc:
            history.close()
            self.fail(database, exc.message)
            return None
        self.histories[key] = history
        return history

    def _recorded(self, path: Path) -> tuple[str | None, str]:
        store = self.store or find_store(path)
        history = self._history(store)
        if history is not None:
            key = history.key(path)
            for run in history.archives(key):
                self.history_files.extend((store.parent / n, h) for n, h in run.files)
            found = history.first_sha256(key)
            if found:
                return found, "its first check"
        for warc in iter_warcs(path.parent / ARCHIVE_DIR):
            info = read_warcinfo(warc)
            if info.get("local-copy") == path.name and info.get("local-copy-sha256"):
                return info["local-copy-sha256"], f"its first archive run ({warc.name})"
        return None, ""

    def recorded(self) -> None:
        """The files archive runs recorded in the history: still there, unchanged. Files a
        WARC check or a manifest already covered are not checked twice (nor failed twice)."""
        files, self.history_files = self.history_files, []
        for target, sha256 in files:
            self.recorded_files += 1
            if target.resolve() in self.done or target.resolve() in self.listed:
                continue
            try:
                actual = sha256_file(target)
            except FileNotFoundError:
                self.fail(target, "missing (recorded in the history by an archive run)")
                continue
            except OSError as exc:
                self.fail(target, f"unreadable: {exc.strerror or exc}")
                continue
            if actual != sha256:
                self.fail(target, f"SHA-256 {actual} does not match {sha256} in the history")

    def _first(self, path: Path) -> bool:
        key = path.resolve()
        if key in self.done:
            return False
        self.done.add(key)
        return True

    def folder(self, folder: Path) -> None:
        if folder.name == ARCHIVE_DIR:
            self.archive_folder(folder)
            return
        for path in find_local_copies([folder]):
            self.local_copy(path)
        for root, dirs, _files in os.walk(folder):
            dirs[:] = sorted(d for d in dirs if d != STORE_DIR and not d.startswith("."))
            if Path(root).name == ARCHIVE_DIR:
                self.archive_folder(Path(root))

    def report(self) -> VerifyReport:
        return VerifyReport(
            warcs=self.warcs,
            records=self.records,
            manifests=self.manifests,
            entries=self.entries,
            local_copies=self.copies,
            databases=self.databases,
            recorded_files=self.recorded_files,
            not_recorded=tuple(self.not_recorded),
            unlisted=tuple(self.unlisted),
            problems=tuple(self.problems),
            stores=tuple(self.stores),
        )


def _is_warc(path: Path) -> bool:
    return path.name.lower().endswith(WARC_SUFFIXES)


def verify(paths: Sequence[Path] | Iterable[Path], *, store: Path | None = None) -> VerifyReport:
    """Verify WARCs, manifests and local copies (see the module docstring).

    Args:
        paths: WARCs, manifests, local copies, snapshot folders, ``archive/`` folders
            or folders of snapshots.
        store: the store holding the history (default: found from each path).

    Returns:
        What was checked and every failure (``exit_code`` 5 when any).

    Raises:
        InputError: a path that does not exist.
    """
    verifier = _Verifier(store)
    try:
        for path in paths:
            if path.is_dir():
                verifier.folder(path)
            elif not path.exists():
                raise InputError(f"{path}: not found", url=str(path))
            elif _is_warc(path) and path.parent.name == ARCHIVE_DIR:
                verifier.warc(path)
            elif is_manifest(path):
                verifier.manifest(path)
            elif _is_warc(path):
                verifier.warc(path)  # a WARC kept as a local copy: its digests
                verifier.local_copy(path)
            else:
                verifier.local_copy(path)
    finally:
        verifier.close()
    return verifier.report()
