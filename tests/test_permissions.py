"""Archive files, exports and manifests honour the umask, as the history database does."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path

import pytest

# Run in a child process: the umask is process-wide, and the test must not change the
# suite's. The child writes one archive run (WARC, export, manifest) and a history.
_CHILD = r"""
import json, os, sys
from datetime import UTC, datetime
from pathlib import Path

os.umask(int(sys.argv[2], 8))
from snapverify.store.history import History
from snapverify.store.runs import write_archive
from snapverify.store.warc import CaptureRecord
from snapverify.text.markdown import read_markdown

root = Path(sys.argv[1])
when = datetime(2026, 11, 25, 7, 0, tzinfo=UTC)
capture = CaptureRecord(
    url="https://e.org/a",
    captured_at=when,
    source_url="https://web.archive.org/web/20261125070000id_/https://e.org/a",
    content_type="text/html",
    payload=b"<html><body><p>Text.</p></body></html>",
)
document = read_markdown("# Title\n\nText.\n")
_files, warc, export, manifest = write_archive(
    root / "archive", url="https://e.org/a", when=when, captures=[capture], document=document
)
(root / ".snapverify").mkdir()
History.open(root / ".snapverify").close()
paths = {"warc": warc, "export": export, "manifest": manifest,
         "history": root / ".snapverify" / "history.sqlite3"}
print(json.dumps({name: os.stat(path).st_mode & 0o777 for name, path in paths.items()}))
"""


@pytest.mark.parametrize(("umask", "mode"), [("022", 0o644), ("077", 0o600), ("002", 0o664)])
def test_archive_files_honour_the_umask(tmp_path: Path, umask: str, mode: int) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(tmp_path), umask],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    modes = json.loads(done.stdout)
    shown = {name: stat.filemode(value) for name, value in modes.items()}
    assert modes.pop("history") == 0o644 & ~int(umask, 8), shown  # SQLite's own rule
    assert modes == dict.fromkeys(("warc", "export", "manifest"), mode), shown
    assert not list((tmp_path / "archive").glob(".tmp-*"))
