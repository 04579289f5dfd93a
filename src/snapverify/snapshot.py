"""Local copies: find them, read them, and read the metadata beside them.

A snapshot is a folder holding one local copy (the user's file, never modified) and
optionally a ``snapshot.toml`` with metadata the file lacks::

    url = "https://www.example.com/2012/05/27/article"
    title = "The article's title"
    ignore = ["^Advertisement$"]   # regular expressions for passages to leave out

Markdown and plain text are read as CommonMark; HTML with the extractor. Whatever
is not a document (missing, a folder, empty, binary, undecodable) raises
:class:`~snapverify.errors.InputError` with one line naming the file.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from snapverify.errors import InputError
from snapverify.models import Document, Link
from snapverify.text.anchors import lost_html_anchors
from snapverify.text.decode import NotADocument, charset_of, check_document, decode_document
from snapverify.text.markdown import read_markdown

__all__ = [
    "HTML_SUFFIXES",
    "LOCAL_COPY_SUFFIXES",
    "LocalCopy",
    "find_local_copies",
    "find_store",
    "read_file",
    "read_local_copy",
]

logger = logging.getLogger(__name__)

METADATA_FILE = "snapshot.toml"
STORE_DIR = ".snapverify"
ARCHIVE_DIR = "archive"
HTML_SUFFIXES = (".html", ".htm", ".xhtml", ".shtml")
MARKDOWN_SUFFIXES = (".md", ".markdown", ".txt")
WARC_SUFFIXES = (".warc", ".warc.gz")
# What a snapshot folder's local copy may be.
LOCAL_COPY_SUFFIXES = MARKDOWN_SUFFIXES + HTML_SUFFIXES + WARC_SUFFIXES


@dataclass(frozen=True, slots=True)
class LocalCopy:
    """A local copy as read: its document, the SHA-256 of its bytes, its ignore patterns."""

    path: Path
    document: Document
    sha256: str
    ignore: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class _Metadata:
    url: str | None = None
    title: str | None = None
    ignore: tuple[str, ...] = ()


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


def _read_metadata(folder: Path) -> _Metadata:
    """Read ``snapshot.toml`` in ``folder``, if there is one."""
    path = folder / METADATA_FILE
    if not path.is_file():
        return _Metadata()
    try:
        values: dict[str, Any] = tomllib.loads(path.read_bytes().decode("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InputError(
            f"{path}: not a valid snapshot.toml: {_one_line(exc)}", url=str(path)
        ) from exc
    url, title, ignore = values.get("url"), values.get("title"), values.get("ignore", [])
    for name, value in (("url", url), ("title", title)):
        if value is not None and not isinstance(value, str):
            raise InputError(f"{path}: '{name}' must be a string", url=str(path))
    if not isinstance(ignore, list) or not all(isinstance(item, str) for item in ignore):
        raise InputError(f"{path}: 'ignore' must be a list of strings", url=str(path))
    for pattern in ignore:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise InputError(
                f"{path}: ignore pattern {pattern!r} is not a regular expression: {exc}",
                url=str(path),
            ) from exc
    return _Metadata(url=url or None, title=title or None, ignore=tuple(ignore))


def read_file(path: Path) -> bytes:
    """Read a file's bytes; any failure is an InputError naming the file."""
    try:
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise InputError(f"{path}: not found", url=str(path)) from exc
    except IsADirectoryError as exc:
        raise InputError(f"{path}: is a directory, not a file", url=str(path)) from exc
    except PermissionError as exc:
        raise InputError(f"{path}: permission denied", url=str(path)) from exc
    except OSError as exc:
        reason = exc.strerror or _one_line(exc)
        raise InputError(f"{path}: unreadable: {reason}", url=str(path)) from exc


def read_local_copy(path: Path, *, url: str | None = None) -> LocalCopy:
    """Read a local copy and the ``snapshot.toml`` beside it.

    ``.md``, ``.markdown``, ``.txt`` and files of any other extension are read as
    CommonMark; ``.html``, ``.htm`` and ``.xhtml`` with the HTML extractor. The URL
    is ``url`` if given, else ``snapshot.toml``'s, else the file's own (front matter,
    ``Original url:`` footer, canonical link); a title in ``snapshot.toml`` replaces
    the file's. A local copy without any URL is not an error: its document's ``url``
    is ``None``.

    Args:
        path: the local copy.
        url: the article's original URL (``--url``); overrides every other.

    Returns:
        The local copy: its document, the SHA-256 of its bytes and its ignore patterns.

    Raises:
        InputError: the file is missing, a folder, unreadable, empty, binary or
            undecodable, or ``snapshot.toml`` is invalid; the message is one line
            naming the file.
    """
    data = read_file(path)
    sha256 = hashlib.sha256(data).hexdigest()
    metadata = _read_metadata(path.parent)
    url = url or metadata.url
    _check_url(path, url)
    if path.name.lower().endswith(WARC_SUFFIXES):
        document = _read_warc_copy(path, data, url)
    else:
        document = _read_text_copy(path, data, url)
    changes: dict[str, Any] = {}
    if url and document.url != url:
        changes["url"] = url
    if metadata.title and metadata.title != document.title:
        changes["title"] = metadata.title
        if document.title:  # the file's own title stays known, for comparing
            changes["title_variants"] = (document.title, *document.title_variants)
    if changes:
        document = dataclasses.replace(document, **changes)
    _check_url(path, document.url)
    logger.debug("read %s: %d blocks, url %s", path, len(document.blocks), document.url)
    return LocalCopy(path=path, document=document, sha256=sha256, ignore=metadata.ignore)


def _check_url(path: Path, url: str | None) -> None:
    """Refuse an original URL that is no URL at all (``http://[``): bad input, exit 2."""
    if not url:
        return
    try:
        urlsplit(url)
    except ValueError as exc:
        raise InputError(
            f"{path}: the original URL {_one_line(url)!r} is not a URL: {_one_line(exc)}",
            url=str(path),
        ) from exc


def _read_text_copy(path: Path, data: bytes, url: str | None) -> Document:
    try:
        text = decode_document(data)
    except NotADocument as exc:
        raise InputError(f"{path}: {exc}", url=str(path)) from exc
    if path.suffix.lower() in HTML_SUFFIXES:
        from snapverify.text.extract import extract  # lxml and the extractor load lazily

        document = extract(text, url=url)
        # The extractor keeps links that have a target; the ones an export emptied
        # (<a href="#">) are links too, lost, so a check can recover them.
        known = {link.text for link in document.links if link.lost}
        lost = [Link(t, None) for t in lost_html_anchors(text) if t not in known]
        if lost:
            document = dataclasses.replace(document, links=(*document.links, *lost))
    else:
        document = read_markdown(text, url=url)
    return document


def _read_warc_copy(path: Path, data: bytes, url: str | None) -> Document:
    """The article in a WARC: the page of ``url`` (the newest live page first), else the
    first HTML page the WARC holds, extracted like an HTML local copy."""
    from snapverify.store.warc import read_records  # warcio loads lazily
    from snapverify.text.extract import extract

    try:
        pages = read_records(path, data)
    except ValueError as exc:
        raise InputError(str(exc), url=str(path)) from exc
    html = [
        p
        for p in pages
        if p.payload
        and (p.status is None or 200 <= p.status < 300)
        and "html" in (p.content_type or "text/html").lower()
    ]
    if url:
        wanted = url.split("://", 1)[-1].rstrip("/").lower()
        html = [p for p in html if p.url.split("://", 1)[-1].rstrip("/").lower() == wanted]
    if not html:
        what = f"no HTML page of {url}" if url else "no HTML page"
        raise InputError(f"{path}: {what} in this WARC", url=str(path))
    # The newest live page, else the newest capture.
    page = max(html, key=lambda p: (p.role == "live", p.date is not None, p.date))
    try:
        check_document(page.payload)
    except NotADocument as exc:
        raise InputError(f"{path}: the page at offset {page.offset}: {exc}", url=str(path)) from exc
    document = extract(page.payload, url=url or page.url, charset=charset_of(page.content_type))
    if not document.url:
        document = dataclasses.replace(document, url=url or page.url)
    return document


def _is_candidate(name: str) -> bool:
    lowered = name.lower()
    return (
        not name.startswith(".")
        and lowered != METADATA_FILE
        and not lowered.startswith("readme")
        and lowered.endswith(LOCAL_COPY_SUFFIXES)
    )


def find_local_copies(paths: Sequence[Path]) -> list[Path]:
    """Find the local copies that ``paths`` name.

    A file is itself (whatever its name; a missing path is kept so that reading it
    reports the error). A directory yields the local copy of each snapshot folder
    beneath it: files ending in one of :data:`LOCAL_COPY_SUFFIXES`, leaving out
    ``snapshot.toml``, README files, hidden files and folders, and anything under
    ``archive/`` or ``.snapverify/``. Symbolic links to folders are not followed.

    Args:
        paths: files and folders, as given on the command line.

    Returns:
        The local copies, sorted and without duplicates.
    """
    found: set[Path] = set()
    for path in paths:
        if not path.is_dir():
            found.add(path)
            continue
        for root, dirs, files in os.walk(path):
            dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != ARCHIVE_DIR)
            found.update(Path(root, name) for name in files if _is_candidate(name))
    return sorted(found)


def find_store(start: Path) -> Path:
    """Find the store: the ``.snapverify/`` folder of the nearest ancestor holding one.

    Like git finding ``.git``, the search starts at ``start`` (a snapshot's file or
    folder) and walks up, stopping below the home folder, at a file system boundary and
    before the root (:mod:`snapverify.store.discovery`). Nothing is created.

    Args:
        start: a local copy or a snapshot folder.

    Returns:
        The nearest existing ``.snapverify`` folder, else ``.snapverify`` in the
        folder of ``start`` (to be created by whoever writes to it).
    """
    from snapverify.store.discovery import find_store as discover

    return discover(start)
