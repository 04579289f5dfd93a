"""Fixity manifests: the SHA-256 of every file one ``archive`` run wrote.

One manifest per run, named after the run's WARC (``<stem>.manifest-sha256.txt``), in
BagIt's ``manifest-sha256.txt`` form: one line per file, ``<sha256 hex>  <path>``, the
path relative to the manifest's folder, ``/``-separated. A manifest is written last,
after every file it lists is final and fsynced, and never rewritten.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "MANIFEST_SUFFIX",
    "ManifestEntry",
    "format_manifest",
    "is_manifest",
    "parse_manifest",
    "sha256_file",
]

MANIFEST_SUFFIX = ".manifest-sha256.txt"
_LINE = re.compile(r"^([0-9a-fA-F]{64})[ \t]+\*?(.+)$")


@dataclass(frozen=True, slots=True)
class ManifestEntry:
    """One line of a manifest."""

    sha256: str
    path: str  # relative to the manifest's folder


def is_manifest(path: Path) -> bool:
    """Whether ``path`` is named like a snapverify manifest."""
    return path.name.endswith(MANIFEST_SUFFIX) and not path.name.startswith(".")


def format_manifest(entries: Sequence[ManifestEntry]) -> bytes:
    """The manifest's bytes (UTF-8, one ``sha256  path`` line per entry)."""
    return "".join(f"{e.sha256}  {e.path}\n" for e in entries).encode("utf-8")


def parse_manifest(data: bytes, *, name: str) -> list[ManifestEntry]:
    """Read a manifest's lines.

    Args:
        data: the manifest's bytes.
        name: the manifest's path, for messages.

    Raises:
        ValueError: a line that is not ``<64 hex digits>  <path>``, or a path that
            leaves the manifest's folder (the message names the file and the line).
    """
    entries = []
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{name}: not UTF-8 text") from exc
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        match = _LINE.match(line)
        if match is None:
            raise ValueError(
                f"{name}: line {number} is not a SHA-256 (64 hex digits), two spaces and a path"
            )
        path = match[2]
        parts = path.split("/")
        if path.startswith("/") or ".." in parts or "\\" in path or "\0" in path:
            raise ValueError(f"{name}: line {number}: path {path!r} leaves the folder")
        entries.append(ManifestEntry(match[1].lower(), path))
    if not entries:
        raise ValueError(f"{name}: lists no file")
    return entries


def sha256_file(path: Path) -> str:
    """The SHA-256 of a file's bytes, read in blocks.

    Raises:
        OSError: the file cannot be read.
    """
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while block := stream.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()
