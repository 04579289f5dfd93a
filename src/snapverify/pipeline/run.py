"""A check as ``snapverify check`` runs it: under the store's lock, recorded in the history.

:func:`run_check` is :func:`snapverify.pipeline.check` plus what a scheduled,
unattended check needs: the store's lock (an overlapping run stops at once with
exit 75 and changes nothing), and the history (each result recorded and annotated
with ``new``, ``ongoing`` and ``resolved`` findings and acknowledgements).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
from collections.abc import Callable, Sequence
from pathlib import Path

from snapverify.errors import IntegrityError, ReadOnlyStore, UsageError
from snapverify.fetch.policy import Resolver
from snapverify.models import CheckResult
from snapverify.pipeline.check import CheckOptions, check
from snapverify.pipeline.progress import CheckProgress
from snapverify.snapshot import find_local_copies, find_store
from snapverify.store.access import NO_SPACE_NOTE, read_only_message, store_writable
from snapverify.store.history import HISTORY_FILE, History
from snapverify.store.lock import hold_lock

__all__ = ["NotKept", "check_paths", "run_check"]


class NotKept(IntegrityError):
    """The check ran, but what it found could not all be kept: the history could not
    record it (damaged, full disk), or a full disk kept captures out of the cache (exit 5).
    ``results`` holds the results, so they can still be reported.

    Attributes:
        results: the check's results.
    """

    def __init__(self, message: str, results: Sequence[CheckResult]) -> None:
        super().__init__(message)
        self.results = list(results)


def check_paths(paths: Sequence[Path]) -> list[Path]:
    """The local copies ``paths`` name; every path must exist and each folder hold one.

    Raises:
        UsageError: a path that does not exist, or a folder with no local copy
            (``DIR: no snapshots found``); nothing was read or written.
    """
    copies: list[Path] = []
    for path in paths:
        if not path.exists():
            raise UsageError(f"{path}: no such file or folder", url=str(path))
        found = find_local_copies([path])
        if path.is_dir() and not found:
            raise UsageError(f"{path}: no snapshots found", url=str(path))
        copies.extend(found)
    return sorted(set(copies))


def run_check(
    paths: Sequence[Path],
    options: CheckOptions | None = None,
    *,
    record: bool = True,
    command: str | None = None,
    resolver: Resolver | None = None,
    on_result: Callable[[CheckResult], None] | None = None,
    on_start: Callable[[int], None] | None = None,
    progress: CheckProgress | None = None,
) -> list[CheckResult]:
    """Check snapshots under the store's lock and record the results in its history.

    Args:
        paths: local copies or folders holding snapshot folders.
        options: as for :func:`~snapverify.pipeline.check` (``store`` found from the
            first local copy when not given).
        record: record the results in the history and annotate them; ``False``
            leaves the history alone (the results then carry no history fields).
        command: the command line that reproduces the check, stored with each report.
        resolver: the address policy's name resolver (tests pass a stub).
        on_result: called as each snapshot's check ends (progress).
        on_start: called with the number of snapshots found.
        progress: counts snapshots and captures as they are checked and fetched.

    Returns:
        One result per local copy (each naming the store it used), annotated by the
        history when ``record``.

    Raises:
        TryLater: another run holds the store's lock (nothing was read or written).
        UsageError: a path that does not exist, a folder without local copies, or a
            bad option (nothing was read or written).
        ReadOnlyStore: ``record`` asked of a store that cannot be written.
        NotKept: the check ran but the history could not record it (damaged, full
            disk), or a full disk kept captures out of the cache; the results are in
            the error.
    """
    options = options or CheckOptions()
    # Found once: the check is given the local copies, not the folders to walk again.
    copies = check_paths(list(paths))
    store = options.store
    if store is None:
        store = find_store(copies[0] if copies else Path(paths[0] if paths else "."))
        options = dataclasses.replace(options, store=store)
    if command is not None:
        # What --snapshot-changes stores names the command that fetched it.
        options = dataclasses.replace(options, command=command)
    writable = store_writable(store)
    database = store / HISTORY_FILE
    if record and not (writable and (not database.exists() or os.access(database, os.W_OK))):
        raise ReadOnlyStore(read_only_message(store))
    # A store nobody may write needs no lock: this run writes nothing to it.
    with hold_lock(store) if writable else contextlib.nullcontext(store / "lock"):
        results = check(
            copies or paths,
            options,
            resolver=resolver,
            on_result=on_result,
            on_start=on_start,
            progress=progress,
        )
        results = [
            dataclasses.replace(r, command=command or r.command, store=str(store)) for r in results
        ]
        if record:
            try:
                with History.open(store) as history:
                    results = [history.record_check(result) for result in results]
            except ReadOnlyStore as exc:
                raise ReadOnlyStore(read_only_message(store)) from exc
            except IntegrityError as exc:
                raise NotKept(f"{exc.describe()} (this check was not recorded)", results) from exc
    full = next((n for r in results for n in r.notes if n.startswith(NO_SPACE_NOTE)), None)
    if full is not None:
        raise NotKept(full.removeprefix(NO_SPACE_NOTE), results)
    return results
