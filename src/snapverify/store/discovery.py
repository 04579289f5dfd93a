"""Which store a snapshot uses: the nearest ``.snapverify/`` above it, within bounds.

Like git finding ``.git``, the search walks up from the snapshot's folder, but a
store is never silently shared with an unrelated tree, so the walk stops:

- below the user's home folder (``$HOME``): a snapshot under ``~/work/a`` may use
  ``~/work/.snapverify`` but never ``~/.snapverify`` (unless it lies in ``~`` itself);
- at a file system boundary (the device changes, as git's
  ``GIT_DISCOVERY_ACROSS_FILESYSTEM`` default): a mounted disk never uses the store of
  the disk it is mounted on;
- before the root folder: ``/.snapverify`` is never picked up.

When nothing is found, the store is ``.snapverify/`` in the snapshot's own folder
(created by whoever first writes to it). Nothing here creates anything.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

__all__ = ["STORE_DIR", "find_store"]

STORE_DIR: Final = ".snapverify"


def _device(path: Path) -> int | None:
    try:
        return os.stat(path).st_dev
    except OSError:
        return None


def _homes() -> frozenset[str]:
    """The home folder as written and as resolved (``/home`` may be a symbolic link)."""
    home = os.environ.get("HOME")
    if not home:
        return frozenset()
    return frozenset({os.path.abspath(home), os.path.realpath(home)})


def find_store(start: Path) -> Path:
    """Find the store of a snapshot.

    Args:
        start: a local copy or a snapshot folder.

    Returns:
        The nearest existing ``.snapverify`` folder within the bounds the module
        describes, else ``.snapverify`` in the folder of ``start``.
    """
    start = Path(os.path.abspath(start))
    folder = start if start.is_dir() else start.parent
    if (folder / STORE_DIR).is_dir():
        return folder / STORE_DIR
    homes = _homes()
    device = _device(folder)
    for candidate in folder.parents:
        if candidate.parent == candidate or (
            homes and (str(candidate) in homes or os.path.realpath(candidate) in homes)
        ):
            break  # home and the root folder are ceilings: their store is not shared
        if device is not None and _device(candidate) != device:
            break  # another file system
        if (candidate / STORE_DIR).is_dir():
            return candidate / STORE_DIR
    return folder / STORE_DIR
