"""Write a file whole or not at all: temporary file, fsync, rename, fsync the folder.

Readers see the old file or the new one, never a partial one; a kill at any moment
leaves at most a temporary file (named ``.tmp-*.part``), never a partial file under
the final name.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

__all__ = ["write_atomic"]


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
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".part")
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
