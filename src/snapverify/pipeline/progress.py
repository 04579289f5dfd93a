"""How far a check has got: snapshots and captures, for a progress bar.

A check of one snapshot with hundreds of captures is one long step; counting
snapshots alone would show ``0/1`` until it ends. :class:`CheckProgress` also
counts captures: their total grows as each snapshot's listings answer, and each
capture counts once it is fetched, failed or given up at the check's deadline.

The pipeline only calls the methods; what is shown (a bar on a terminal, nothing
in cron) is the listener's business.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from snapverify.models import CheckResult

__all__ = ["CheckProgress", "ProgressCounts"]


@dataclass(frozen=True, slots=True)
class ProgressCounts:
    """A check's progress at one moment.

    Attributes:
        snapshots: snapshots found (0 until the check knows).
        snapshots_done: snapshots whose check has ended.
        captures: captures to fetch, as listed so far (it grows while listings answer).
        captures_done: captures fetched, failed or given up.
    """

    snapshots: int = 0
    snapshots_done: int = 0
    captures: int = 0
    captures_done: int = 0


class CheckProgress:
    """Counts a check's steps and tells a listener each change.

    ``start`` and ``advance`` have the shapes of the pipeline's ``on_start`` and
    ``on_result`` callbacks; ``listed`` and ``fetched`` are called per capture.
    Thread-safe: counts may come from the event loop and from worker threads.

    Args:
        listener: called with the new :class:`ProgressCounts` after every change.
    """

    def __init__(self, listener: Callable[[ProgressCounts], None] | None = None) -> None:
        self._listener = listener
        self._lock = threading.Lock()
        self._counts = ProgressCounts()

    @property
    def counts(self) -> ProgressCounts:
        """The counts so far."""
        return self._counts

    def start(self, snapshots: int) -> None:
        """``snapshots`` snapshots were found and are about to be checked."""
        self._add(snapshots=snapshots)

    def advance(self, _result: CheckResult) -> None:
        """One snapshot's check ended."""
        self._add(snapshots_done=1)

    def listed(self, captures: int) -> None:
        """A snapshot's listings answered: ``captures`` more to fetch."""
        if captures:
            self._add(captures=captures)

    def fetched(self) -> None:
        """One capture was fetched, failed or given up."""
        self._add(captures_done=1)

    def _add(self, **more: int) -> None:
        with self._lock:
            now = self._counts
            self._counts = counts = ProgressCounts(
                snapshots=now.snapshots + more.get("snapshots", 0),
                snapshots_done=now.snapshots_done + more.get("snapshots_done", 0),
                captures=now.captures + more.get("captures", 0),
                captures_done=now.captures_done + more.get("captures_done", 0),
            )
        if self._listener is not None:
            self._listener(counts)
