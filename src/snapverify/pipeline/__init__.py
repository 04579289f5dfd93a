"""Orchestration: read the local copies, fetch the sources, run the core, assemble results.

``compare_files`` compares a local copy with saved files (no network);
``check`` checks snapshots against the live page and every archived capture.
"""

from snapverify.pipeline.check import (
    OFFLINE,
    CheckOptions,
    check,
    check_snapshots,
    select_captures,
)
from snapverify.pipeline.files import compare_files, parse_source_spec

__all__ = [
    "OFFLINE",
    "CheckOptions",
    "check",
    "check_snapshots",
    "compare_files",
    "parse_source_spec",
    "select_captures",
]
