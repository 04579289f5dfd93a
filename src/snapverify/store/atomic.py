"""Write a file whole or not at all: temporary file, fsync, rename, fsync the folder.

Readers see the old file or the new one, never a partial one; a kill at any moment
leaves at most a temporary file (named ``.tmp-*.part``), never a partial file under
the final name.
"""

from __future__ import annotations

import contextlib
import os
import signal
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

__all__ = [
    "KILL_ENV",
    "current_umask",
    "kill_point",
    "remove_stale_temporaries",
    "write_atomic",
    "write_new",
]


def write_atomic(
    path: Path,
    data: bytes,
    *,
    temporaries: Path | None = None,
    mode: int | None = None,
    parents: bool = False,
) -> None:
    """Replace ``path`` with ``data``.

    Args:
        path: the final name.
        data: the whole content.
        temporaries: where the temporary file goes (the same file system as ``path``);
            ``path``'s folder by default.
        mode: permission bits for the new file (default: ``mkstemp``'s 0o600).
        parents: create ``path``'s folder (and ``temporaries``) when missing.

    Raises:
        OSError: the file could not be written; ``path`` is untouched and the
            temporary file removed.
    """
    folder = temporaries or path.parent
    if parents:
        path.parent.mkdir(parents=True, exist_ok=True)
        folder.mkdir(parents=True, exist_ok=True)
    handle, temporary = _temporary(folder)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        if mode is not None:
            os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    _fsync_folder(path.parent)


def _fsync_folder(folder: Path) -> None:
    # The rename is durable only once the folder's entry is on disk too.
    with contextlib.suppress(OSError):
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


# -- new files that never replace anything ---------------------------------------------

KILL_ENV = "SNAPVERIFY_TEST_KILL_AT"


def kill_point(name: str) -> None:
    """Stop the process dead (SIGKILL) when ``$SNAPVERIFY_TEST_KILL_AT`` names this point.

    The kill-safety tests run a command in a subprocess with the variable set, one named
    point at a time, and then look at what is on disk. Nothing else reads the variable.
    """
    if os.environ.get(KILL_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)


def current_umask() -> int:
    """The process's umask, read without changing it where the system allows.

    Linux shows it in ``/proc/self/status``; elsewhere it is set and set back (the only
    portable way to read it), which is safe as long as no other thread creates files.
    """
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _temporary(folder: Path) -> tuple[int, str]:
    # The writer's pid is in the name, so a later run knows whether its writer is gone.
    return tempfile.mkstemp(dir=folder, prefix=f".tmp-{os.getpid()}-", suffix=".part")


def write_new(
    folder: Path,
    name: Callable[[int], str],
    write: Callable[[BinaryIO], object],
    *,
    point: str = "write",
    mode: int | None = None,
) -> Path:
    """Write a new file under a name no other file has, and never replace one.

    The content goes to a temporary file in ``folder`` (``.tmp-<pid>-*.part``), is
    fsynced, then linked to its final name: ``os.link`` fails rather than replace an
    existing file, so a name taken meanwhile (same second, same token) makes the next
    candidate be tried. The temporary name is removed and the folder fsynced. A kill at
    any moment leaves the final name absent or complete.

    Args:
        folder: where the file goes (created when missing).
        name: the candidate names: ``name(0)``, then ``name(1)``, ... after a collision.
        write: writes the whole content to the open temporary file.
        point: the prefix of this write's kill points (:func:`kill_point`):
            ``<point>:started``, ``<point>:written`` (before fsync), ``<point>:synced``,
            ``<point>:linked`` (final name present, temporary still there).
        mode: permission bits of the file; by default those of any new file under the
            umask (0o644 under 022), as ``open`` and SQLite give, not ``mkstemp``'s 0o600.

    Returns:
        The final path.

    Raises:
        OSError: the file could not be written; no final name was created and the
            temporary file is removed.
    """
    folder.mkdir(parents=True, exist_ok=True)
    handle, temporary = _temporary(folder)
    try:
        with os.fdopen(handle, "wb") as stream:
            os.fchmod(stream.fileno(), 0o666 & ~current_umask() if mode is None else mode)
            kill_point(f"{point}:started")
            write(stream)
            stream.flush()
            kill_point(f"{point}:written")
            os.fsync(stream.fileno())
        kill_point(f"{point}:synced")
        attempt = 0
        while True:
            final = folder / name(attempt)
            try:
                os.link(temporary, final)
                break
            except FileExistsError:
                attempt += 1
                if attempt > 1000:
                    raise
        kill_point(f"{point}:linked")
    except OSError as exc:
        if exc.filename is None:  # a failed write or fsync: name the file it was for
            exc.filename = str(folder / name(0))
        raise
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
    _fsync_folder(folder)
    return final


def remove_stale_temporaries(folder: Path, older_than: float = 3600.0) -> int:
    """Remove the temporary files of :func:`write_new` and :func:`write_atomic` that a
    killed run left.

    A file goes when the process named in it is gone, or when it is older than
    ``older_than`` seconds (a pid may be reused; a name without one goes by age alone).

    Returns:
        How many files were removed.
    """
    removed = 0
    if not folder.is_dir():
        return 0
    limit = time.time() - older_than
    for path in folder.glob(".tmp-*.part"):
        pid_text = path.name.split("-")[1]
        alive = not pid_text.isdigit() or _alive(int(pid_text))
        with contextlib.suppress(OSError):
            if not alive or path.stat().st_mtime < limit:
                path.unlink()
                removed += 1
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
