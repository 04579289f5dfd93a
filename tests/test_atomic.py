"""store/atomic.py: a file is replaced whole or not at all."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from snapverify.store.atomic import write_atomic


def test_a_file_is_replaced_whole_with_the_mode_asked(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_bytes(b"old")
    write_atomic(target, b"new", mode=0o640)
    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "taken"
    target.mkdir()  # a folder under the final name: the rename must fail
    (target / "inside").write_bytes(b"kept")
    with pytest.raises(OSError):
        write_atomic(target, b"new")
    assert (target / "inside").read_bytes() == b"kept"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]


def test_a_temporary_is_named_after_its_writer(tmp_path: Path) -> None:
    # So that remove_stale_temporaries can tell a killed writer's file from a live one's.
    seen: list[str] = []
    real = os.replace

    def spy(source: str, target: Path) -> None:
        seen.append(Path(source).name)
        real(source, target)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(os, "replace", spy)
        write_atomic(tmp_path / "file", b"x")
    (name,) = seen
    assert name.startswith(f".tmp-{os.getpid()}-") and name.endswith(".part")


def test_folders_are_made_only_when_asked(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "file"
    with pytest.raises(FileNotFoundError):
        write_atomic(target, b"x")
    assert not (tmp_path / "a").exists()
    spare = tmp_path / "tmp"
    write_atomic(target, b"x", temporaries=spare, parents=True)
    assert target.read_bytes() == b"x" and os.listdir(spare) == []
