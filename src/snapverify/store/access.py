"""Whether the store can be written, and what a failed write to it means.

A store may be read-only (a write-protected ``snapshots/``, a read-only mount): reading
commands work as usual, and a check that must record says so in one line. A full disk
or an I/O error while writing is a storage failure (exit 5) that names the file.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Final

from snapverify.errors import ReadOnlyStore, SnapverifyError, StorageError

__all__ = [
    "NO_SPACE",
    "NO_SPACE_MESSAGE",
    "NO_SPACE_NOTE",
    "describe_os_error",
    "read_only_message",
    "storage_error",
    "store_writable",
]

NO_SPACE: Final = frozenset({errno.ENOSPC, errno.EDQUOT})
NO_SPACE_MESSAGE: Final = "no space left on device"
"""How every full-disk error starts (then ``: FILE``), whatever wrote."""
NO_SPACE_NOTE: Final = "not kept: "
"""The start of a result's note saying what a full disk kept out of the store."""
_READ_ONLY: Final = frozenset({errno.EROFS, errno.EACCES, errno.EPERM})


def _existing(path: Path) -> Path:
    """``path``, or its nearest ancestor that exists (a store not created yet)."""
    path = Path(os.path.abspath(path))
    while not path.exists() and path.parent != path:
        path = path.parent
    return path


def store_writable(store: Path) -> bool:
    """Whether this process can write in ``store`` (or create it, when missing).

    Both the permission bits (``os.access``, which the superuser passes) and the file
    system (mounted read-only: ``statvfs``'s ``ST_RDONLY``, which nobody passes) count.
    """
    folder = _existing(store)
    if not os.access(folder, os.W_OK | os.X_OK):
        return False
    try:
        return not os.statvfs(folder).f_flag & os.ST_RDONLY
    except OSError:
        return True


def read_only_message(store: Path, *, check: bool = True) -> str:
    """The one line that says a check (``check``), or another command, cannot write in
    ``store``."""
    if not check:
        return f"{store}: the store is read-only: use --store DIR for a writable store"
    return (
        f"{store}: the store is read-only, so this check cannot be recorded: "
        "use --no-history, or --store DIR for a writable store"
    )


def describe_os_error(exc: OSError, path: Path | str | None = None) -> str:
    """One line for a failed write: ``no space left on device: FILE`` for a full disk."""
    where = path if path is not None else exc.filename
    if exc.errno in NO_SPACE:
        return f"{NO_SPACE_MESSAGE}: {where}" if where is not None else NO_SPACE_MESSAGE
    reason = exc.strerror or str(exc)
    return f"{where}: {reason}" if where is not None else reason


def storage_error(
    exc: OSError, path: Path | str | None = None, *, store: Path | None = None
) -> SnapverifyError:
    """The snapverify error for an ``OSError`` raised while writing to the store.

    Args:
        exc: what the write raised.
        path: the file written (default: the error's own file name).
        store: the store folder; given, a permission error says the store is read-only.

    Returns:
        :class:`ReadOnlyStore` (exit 2) for a permission error in ``store``, else a
        :class:`StorageError` (exit 5): ``no space left on device: FILE`` for a full disk.
    """
    if store is not None and exc.errno in _READ_ONLY:
        return ReadOnlyStore(read_only_message(store, check=False))
    return StorageError(describe_os_error(exc, path))
