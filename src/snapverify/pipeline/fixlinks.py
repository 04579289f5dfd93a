"""``fix-links``: a copy of the local copy with the link targets it lost restored.

The check machinery finds the targets (lost-target recovery from the captures, a
status for each, an archived version near the article's date); this module writes
them into the text (:mod:`snapverify.links.robust`). The local copy itself is never
written.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from pathlib import Path

from snapverify.errors import AddressRefused, InputError, SnapverifyError, TryLater, Unverifiable
from snapverify.links.robust import Repair, repair_html, repair_markdown
from snapverify.pipeline.check import CheckOptions, check
from snapverify.snapshot import HTML_SUFFIXES
from snapverify.text.decode import decode_document

__all__ = ["FixedCopy", "fix_links"]

logger = logging.getLogger(__name__)

_ERRORS: dict[int, type[SnapverifyError]] = {3: AddressRefused, 4: Unverifiable, 75: TryLater}


@dataclass(frozen=True, slots=True)
class FixedCopy:
    """The repaired copy.

    Attributes:
        text: the whole file, repaired.
        restored: links whose target was written back.
        lost: links whose target the local copy lost.
        notes: what could not be restored, one line each.
    """

    text: str
    restored: int
    lost: int
    notes: tuple[str, ...] = ()


def _read(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    try:
        return data.decode("utf-8")  # the usual case: written back byte for byte
    except UnicodeDecodeError:
        return decode_document(data)


def fix_links(path: Path, options: CheckOptions | None = None) -> FixedCopy:
    """Recover the lost link targets of one local copy and write them into its text.

    Args:
        path: the local copy (Markdown, text or HTML).
        options: as for ``check`` (links are always checked, which needs the live web).

    Returns:
        The repaired text and counts (nothing is written here).

    Raises:
        InputError, UsageError: the local copy cannot be read or names no URL.
        AddressRefused: the snapshot's URL is refused by the address policy.
    """
    options = replace(options or CheckOptions(), live=True, links=True)
    if path.is_dir():
        raise InputError(f"{path}: fix-links takes one local copy, not a folder")
    (result,) = check([path], options)
    if result.error is not None:
        raise _ERRORS.get(result.exit_code, InputError)(result.error)
    lost = [row for row in result.links if row.lost]
    repairs = [
        Repair(row.text, row.url, row.archive_url, row.archive_timestamp)
        for row in lost
        if row.url is not None
    ]
    notes = [f"no target found for the lost link {row.text!r}" for row in lost if row.url is None]
    text = _read(path)
    if path.suffix.lower() in HTML_SUFFIXES:
        fixed, count = repair_html(text, repairs)
    else:
        fixed, count = repair_markdown(text, repairs)
    if count < len(repairs):
        notes.append(f"{len(repairs) - count} recovered link(s) not found in the text")
    return FixedCopy(fixed, count, len(lost), tuple(notes))
