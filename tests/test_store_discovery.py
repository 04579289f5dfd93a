"""Which store a snapshot uses: bounded like git's search for ``.git`` (issue 12).

The upward search for ``.snapverify/`` stops below the home folder, at a file system
boundary and before the root, so a store is never silently shared with an unrelated
tree; every report names the store it used. The suite itself is hermetic: HOME, the
XDG folders and the working folder are the test's own, and a ``.snapverify/`` in a
parent of the temporary folder changes no result.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from snapverify.store import discovery
from snapverify.store.discovery import find_store
from support import ROOT, run_cli, seed_snapshot


def _touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("x", "utf-8")
    return path


# -- the hermetic suite -------------------------------------------------------------


def test_each_test_has_its_own_home_xdg_and_working_folder(tmp_path: Path) -> None:
    assert Path.cwd() == tmp_path
    assert os.environ["HOME"] == str(tmp_path)
    for name in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME"):
        assert Path(os.environ[name]).is_relative_to(tmp_path), name
    assert Path("~").expanduser() == tmp_path


@contextlib.contextmanager
def _store_in(folder: Path) -> Iterator[Path]:
    store = folder / ".snapverify"
    store.mkdir()
    try:
        yield store
    finally:
        shutil.rmtree(store)


def test_a_store_in_a_parent_of_the_temporary_folder_changes_no_result(tmp_path: Path) -> None:
    local = _touch(tmp_path / "work" / "snap" / "copy.md")
    local.write_bytes(
        (ROOT / "snapshots")
        .joinpath("themoscowtimes-2012-05-27-kazakh-massacre-cover-up", "000_f88a3d9426c2e04a.txt")
        .read_bytes()
    )
    args = ("check", str(local), "--offline", "--no-history", "--format", "json")
    code, alone, _ = run_cli(*args)
    own = tmp_path / "work" / "snap" / ".snapverify"
    assert code == 4 and json.loads(alone)["store"] == str(own)
    for parent in (tmp_path.parent, tmp_path.parent.parent):
        with _store_in(parent) as foreign:
            (foreign / "config.toml").write_text('archive = ["memento:http://x.test/"]\n')
            assert find_store(local) == own
            code, beside, _ = run_cli(*args)
            assert code == 4
            assert _without_times(beside) == _without_times(alone)


def _without_times(text: str) -> dict[str, object]:
    data: dict[str, object] = json.loads(text)
    data.pop("checked_at")
    return data


# -- the bounds ---------------------------------------------------------------------------


def test_the_search_stops_below_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home" / "user"
    monkeypatch.setenv("HOME", str(home))
    (home / ".snapverify").mkdir(parents=True)
    copy = _touch(home / "articles" / "one" / "copy.md")
    # ~/.snapverify is not shared with every tree under the home folder...
    assert find_store(copy) == home / "articles" / "one" / ".snapverify"
    # ...but a store above the snapshot and below home is found, as is home's own for a
    # snapshot in the home folder itself.
    (home / "articles" / ".snapverify").mkdir()
    assert find_store(copy) == home / "articles" / ".snapverify"
    assert find_store(_touch(home / "copy.md")) == home / ".snapverify"
    # Nothing above home either.
    (tmp_path / "home" / ".snapverify").mkdir()
    assert find_store(_touch(home / "b" / "copy.md")) == home / "b" / ".snapverify"


def test_the_search_stops_at_a_file_system_boundary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As git does (GIT_DISCOVERY_ACROSS_FILESYSTEM unset): a disk mounted at
    ``outer/mnt`` never uses ``outer/.snapverify``. The device numbers are stubbed here;
    the next test mounts a real file system where that is allowed."""
    outer = tmp_path / "work" / "outer"
    (outer / ".snapverify").mkdir(parents=True)
    copy = _touch(outer / "mnt" / "snap" / "copy.md")
    assert find_store(copy) == outer / ".snapverify"  # one file system: found
    mount = outer / "mnt"
    real = discovery._device

    def device(path: Path) -> int | None:
        return 99 if Path(path).is_relative_to(mount) else real(path)

    monkeypatch.setattr(discovery, "_device", device)
    assert find_store(copy) == mount / "snap" / ".snapverify"
    (mount / ".snapverify").mkdir()
    assert find_store(copy) == mount / ".snapverify"  # still on the mounted one


def test_a_real_mount_is_a_boundary(tmp_path: Path) -> None:
    outer = tmp_path / "work"
    mount = outer / "mnt"
    mount.mkdir(parents=True)
    (outer / ".snapverify").mkdir()
    try:
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)],
            check=True,
            capture_output=True,
        )
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.skip(f"cannot mount a tmpfs here ({exc}); the stubbed test covers the rule")
    try:
        copy = _touch(mount / "snap" / "copy.md")
        assert os.stat(mount).st_dev != os.stat(outer).st_dev
        assert find_store(copy) == mount / "snap" / ".snapverify"
    finally:
        subprocess.run(["umount", str(mount)], check=True)


def test_the_root_folders_store_is_never_picked_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``/.snapverify`` is not created by a test (it would be the machine's): the search is
    shown never to look there, with a stubbed ``is_dir`` that says every folder has one."""
    monkeypatch.delenv("HOME")
    copy = _touch(tmp_path / "a" / "copy.md")
    asked: list[Path] = []
    real_is_dir = Path.is_dir

    def is_dir(self: Path) -> bool:
        if self.name == ".snapverify":
            asked.append(self.parent)
            return self.parent == Path("/")
        return real_is_dir(self)

    monkeypatch.setattr(Path, "is_dir", is_dir)
    assert find_store(copy) == copy.parent / ".snapverify"
    assert Path("/") not in asked
    assert asked[-1] != Path("/") and len(asked) >= 3  # it did walk up


# -- reports name their store --------------------------------------------------------------


def test_every_report_names_the_store_it_used(tmp_path: Path) -> None:
    local = seed_snapshot(tmp_path)
    store = tmp_path / "snapshots" / ".snapverify"
    code, out, _ = run_cli("check", str(local), "--offline", "--format", "json")
    assert code == 4 and json.loads(out)["store"] == str(store)
    code, out, _ = run_cli("check", str(local), "--offline", "--no-history")
    # (the terminal report may wrap a long path: compared without line breaks)
    assert f"store:{store}" in "".join(out.split())
    code, out, _ = run_cli("check", str(local), "--offline", "--no-history", "-f", "markdown")
    assert f"- **Store:** {store}".replace("_", "\\_") in out or f"- **Store:** {store}" in out
    other = tmp_path / "elsewhere"
    code, out, _ = run_cli("check", str(local), "--offline", "--store", str(other), "-f", "html")
    assert f"<dt>Store</dt><dd><code>{other}</code></dd>" in out
    # A saved report keeps it; report renders it again.
    saved = tmp_path / "check.json"
    run_cli("check", str(local), "--offline", "-f", "json", "-o", str(saved))
    code, out, _ = run_cli("report", str(saved), "-f", "json")
    assert code == 0 and json.loads(out)["store"] == str(store)
    code, out, _ = run_cli("report", str(local), "-f", "json")
    assert code == 0 and json.loads(out)["store"] == str(store)
    # history reads a store too: it says which, in every format it renders.
    code, out, _ = run_cli("history", str(local), "-f", "json")
    assert code == 0 and json.loads(out)["store"] == str(store)
    code, out, _ = run_cli("history", str(local))
    assert code == 0 and out.splitlines()[0] == f"store: {store}"
    code, out, _ = run_cli("history", str(local), "-f", "markdown")
    assert code == 0 and f"- **Store:** `{store}`" in out.splitlines()
    code, out, _ = run_cli("history", "--store", str(other), "-f", "json")
    assert code == 0 and json.loads(out)["store"] == str(other)
    # verify reads the history of a store: it names it.
    code, out, _ = run_cli("verify", str(local.parent), "-f", "json")
    assert code == 0 and json.loads(out)["stores"] == [str(store)]
    code, out, _ = run_cli("verify", str(local.parent))
    assert code == 0 and out.rstrip("\n").endswith(f" in {store}")


def test_home_is_a_ceiling_through_a_symbolic_link_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """HOME=/home/u where /home links to /var/home: a snapshot reached by the real path
    still stops below home."""
    real = tmp_path / "var" / "home" / "u"
    (real / ".snapverify").mkdir(parents=True)
    (tmp_path / "home").symlink_to(tmp_path / "var" / "home")
    monkeypatch.setenv("HOME", str(tmp_path / "home" / "u"))
    copy = _touch(real / "articles" / "a" / "copy.md")
    assert find_store(copy) == copy.parent / ".snapverify"
    via_link = tmp_path / "home" / "u" / "articles" / "a" / "copy.md"
    assert find_store(via_link) == via_link.parent / ".snapverify"
