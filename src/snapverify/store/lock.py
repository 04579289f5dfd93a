"""One run at a time per store: an advisory lock on ``<store>/lock``.

``check`` (and each round of ``watch``) holds the lock while it reads and writes
the store, so a scheduled run that overlaps a slow one stops at once with exit 75
and changes nothing. The lock is ``flock``'s: the kernel drops it when the
holder exits, however it exits, so a killed run never leaves a stale lock. The
file holds the holder's process id, for the message only.

The lock is re-entrant within a process: code already holding it (``check``)
may call code that takes it too (``archive``, for ``check --snapshot-changes``).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Final

from snapverify.errors import TryLater
from snapverify.store.access import storage_error

__all__ = ["LOCK_FILE", "hold_lock"]

LOCK_FILE: Final = "lock"

# The lock files this process holds, with how many times each was taken.
_HELD: dict[str, int] = {}
_HELD_GUARD = threading.Lock()


@contextlib.contextmanager
def hold_lock(store_dir: Path) -> Iterator[Path]:
    """Hold the store's lock for the ``with`` block, or fail at once.

    Args:
        store_dir: the store folder; created when missing.

    Yields:
        The lock file's path.

    Raises:
        TryLater: another process holds the lock (exit 75); the message names the
            lock file and the holder's process id when it is known.
        ReadOnlyStore: the store cannot be written (exit 2).
        StorageError: the lock file could not be written: no space left (exit 5).
    """
    store_dir = Path(store_dir)
    path = store_dir / LOCK_FILE
    try:
        store_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise storage_error(exc, store_dir, store=store_dir) from exc
    key = os.path.realpath(path)
    with _HELD_GUARD:
        if key in _HELD:
            _HELD[key] += 1
            nested = True
        else:
            nested = False
    if nested:
        try:
            yield path
        finally:
            with _HELD_GUARD:
                _HELD[key] -= 1
        return
    try:
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        raise storage_error(exc, path, store=store_dir) from exc
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(descriptor)
            by = f" (pid {holder})" if holder else ""
            raise TryLater(
                f"{path}: another snapverify run holds the lock{by}; nothing was done: try later"
            ) from None
        try:
            os.ftruncate(descriptor, 0)
            os.pwrite(descriptor, f"{os.getpid()}\n".encode(), 0)
        except OSError as exc:
            fcntl.flock(descriptor, fcntl.LOCK_UN)
            raise storage_error(exc, path, store=store_dir) from exc
        with _HELD_GUARD:
            _HELD[key] = 1
        try:
            yield path
        finally:
            with _HELD_GUARD:
                del _HELD[key]
            with contextlib.suppress(OSError):
                os.ftruncate(descriptor, 0)
            fcntl.flock(descriptor, fcntl.LOCK_UN)
    finally:
        os.close(descriptor)


def _holder(descriptor: int) -> int | None:
    try:
        text = os.pread(descriptor, 32, 0).decode("ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() else None
