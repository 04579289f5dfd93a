"""Orchestration: read the local copies, fetch the sources, run the core, assemble results.

``compare_files`` compares a local copy with saved files (no network).
"""

from snapverify.pipeline.files import compare_files, parse_source_spec

__all__ = ["compare_files", "parse_source_spec"]
