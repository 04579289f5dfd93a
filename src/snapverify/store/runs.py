"""One archive run on disk: a WARC, a readable export and a fixity manifest.

:func:`write_archive` writes the three files of a run into a snapshot's ``archive/``
folder, in that order, each whole or not at all and never over another file
(:func:`snapverify.store.atomic.write_new`): ``<stem>.warc.gz``, ``<stem>.md`` and
``<stem>.manifest-sha256.txt``, where ``<stem>`` is the run's UTC time (14 digits) and a
random token, plus ``-N`` when another run took that name first.
"""

from __future__ import annotations

import hashlib
import io
import secrets
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

from snapverify.models import Document
from snapverify.store.atomic import write_new
from snapverify.store.export import render_export
from snapverify.store.fixity import MANIFEST_SUFFIX, ManifestEntry, format_manifest
from snapverify.store.warc import CaptureRecord, LiveRecord, write_warc
from snapverify.timestamps import format_timestamp

__all__ = ["write_archive"]


def _token() -> str:
    return secrets.token_hex(4)


def _named(stem: str, suffix: str) -> Callable[[int], str]:
    return lambda n: f"{stem}{suffix}" if n == 0 else f"{stem}-{n}{suffix}"


def write_archive(
    folder: Path,
    *,
    url: str,
    when: datetime,
    live: Sequence[LiveRecord] = (),
    captures: Sequence[CaptureRecord] = (),
    document: Document | None = None,
    token: Callable[[], str] | None = None,
    info: Mapping[str, str] | None = None,
) -> tuple[list[tuple[str, str]], Path, Path | None, Path]:
    """Write one run's WARC, readable export and manifest into ``folder``.

    Args:
        folder: the snapshot's ``archive/`` folder (created when missing).
        url: the original URL.
        when: the run's time (names the files).
        live: live pages for the WARC.
        captures: captures for the WARC.
        document: the live article as extracted, for the readable export.
        token: makes the random part of the names (default: 8 random hex digits).
        info: more warcinfo fields.

    Returns:
        ``(files, warc, export, manifest)``: ``files`` the (name in ``folder``,
        SHA-256) of the WARC and the export, in the order written.

    Raises:
        OSError: a file could not be written (nothing partial is left under a final
            name; files already written stay, complete).
    """
    stem = f"{format_timestamp(when)}-{(token or _token)()}"
    buffer = io.BytesIO()
    write_warc(
        buffer,
        filename=f"{stem}.warc.gz",
        live=live,
        captures=captures,
        info={
            "url": url,
            "created": when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            **(info or {}),
        },
    )
    data = buffer.getvalue()
    warc = write_new(folder, _named(stem, ".warc.gz"), lambda out: out.write(data), point="warc")
    files = [(warc.name, hashlib.sha256(data).hexdigest())]
    final_stem = warc.name.removesuffix(".warc.gz")
    export = None
    if document is not None:
        text = render_export(
            document, url=url, captured=when, fields={"source": "live", "warc": warc.name}
        )
        export = write_new(
            folder, _named(final_stem, ".md"), lambda out: out.write(text), point="export"
        )
        files.append((export.name, hashlib.sha256(text).hexdigest()))
    manifest_data = format_manifest([ManifestEntry(s, name) for name, s in files])
    manifest = write_new(
        folder,
        _named(final_stem, MANIFEST_SUFFIX),
        lambda out: out.write(manifest_data),
        point="manifest",
    )
    return files, warc, export, manifest
