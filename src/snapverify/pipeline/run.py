"""A check as ``snapverify check`` runs it: under the store's lock, recorded in the history.

:func:`run_check` is :func:`snapverify.pipeline.check` plus what a scheduled,
unattended check needs: the store's lock (an overlapping run stops at once with
exit 75 and changes nothing), and the history (each result recorded and annotated
with ``new``, ``ongoing`` and ``resolved`` findings and acknowledgements).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from pathlib import Path

from snapverify.fetch.policy import Resolver
from snapverify.models import CheckResult
from snapverify.pipeline.check import CheckOptions, check
from snapverify.pipeline.progress import CheckProgress
from snapverify.snapshot import find_local_copies, find_store
from snapverify.store.history import History
from snapverify.store.lock import hold_lock

__all__ = ["run_check"]


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
        One result per local copy, annotated by the history when ``record``.

    Raises:
        TryLater: another run holds the store's lock (nothing was read or written).
        UsageError: no local copy under ``paths``, or a bad option.
        IntegrityError: the history database is damaged.
    """
    options = options or CheckOptions()
    # Found once: the check is given the local copies, not the folders to walk again.
    copies = find_local_copies(list(paths))
    store = options.store
    if store is None:
        store = find_store(copies[0] if copies else Path(paths[0] if paths else "."))
        options = dataclasses.replace(options, store=store)
    if command is not None:
        # What --snapshot-changes stores names the command that fetched it.
        options = dataclasses.replace(options, command=command)
    with hold_lock(store):
        results = check(
            copies or paths,
            options,
            resolver=resolver,
            on_result=on_result,
            on_start=on_start,
            progress=progress,
        )
        if command is not None:
            results = [dataclasses.replace(r, command=command) for r in results]
        if not record:
            return results
        with History.open(store) as history:
            return [history.record_check(result) for result in results]
