"""The capture cache: content-addressed, definitive answers only, damage-proof."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import pytest

from snapverify.store.cache import CachedCapture, CaptureCache


def _record(
    payload: bytes, outcome: str = "ok", timestamp: str = "20120527183000"
) -> CachedCapture:
    return CachedCapture(
        outcome=outcome,
        status=200,
        timestamp=timestamp,
        url=f"http://127.0.0.1:1/coll/{timestamp}id_/https://example.org/a",
        sha256=hashlib.sha256(payload).hexdigest(),
        sha1="SHA1",
        raw_sha1="RAW",
        content_type="text/html; charset=utf-8",
    )


def test_a_capture_is_found_again_by_timestamp_and_by_digest(tmp_path: Path) -> None:
    cache = CaptureCache(tmp_path / "cache")
    payload = b"<html><p>Hello</p></html>"
    record = _record(payload)
    assert cache.remember("coll", record.timestamp, "https://example.org/a", record, payload, "D1")
    assert cache.lookup("coll", record.timestamp, "https://example.org/a") == (record, payload)
    # Another timestamp with the same digest: found without fetching.
    assert cache.lookup("coll", "20130101000000", "https://example.org/a", "D1") == (
        record,
        payload,
    )
    # Same digest in another archive: not the same capture.
    assert cache.lookup("other", "20130101000000", "https://example.org/a", "D1") is None
    assert cache.lookup("coll", "20130101000000", "https://example.org/a", "D2") is None


@pytest.mark.parametrize("outcome", ["error", "not_archived", "excluded", "blocked"])
def test_transient_or_archive_state_answers_are_not_kept(tmp_path: Path, outcome: str) -> None:
    cache = CaptureCache(tmp_path)
    payload = b"x"
    record = _record(payload, outcome)
    assert not cache.remember("coll", record.timestamp, "u", record, payload, "D")
    assert cache.lookup("coll", record.timestamp, "u", "D") is None
    assert not any(tmp_path.rglob("*"))


def test_a_redirect_capture_is_not_reused_by_digest(tmp_path: Path) -> None:
    cache = CaptureCache(tmp_path)
    payload = b"target page"
    record = _record(payload, "redirected")
    cache.remember("coll", record.timestamp, "u", record, payload, "D")
    assert cache.lookup("coll", record.timestamp, "u") is not None
    assert cache.lookup("coll", "20200101000000", "u", "D") is None


def test_a_damaged_payload_is_treated_as_absent(tmp_path: Path) -> None:
    cache = CaptureCache(tmp_path)
    payload = b"<p>article</p>"
    record = _record(payload)
    cache.remember("coll", record.timestamp, "u", record, payload)
    (obj,) = [p for p in (tmp_path / "objects").rglob("*") if p.is_file()]
    obj.write_bytes(b"<p>articlf</p>")
    assert cache.lookup("coll", record.timestamp, "u") is None
    # A damaged record file too.
    cache.remember("coll", record.timestamp, "u", record, payload)
    assert cache.lookup("coll", record.timestamp, "u") is not None
    (entry,) = [p for p in (tmp_path / "captures").rglob("*") if p.is_file()]
    entry.write_text("{not json", "utf-8")
    assert cache.lookup("coll", record.timestamp, "u") is None


def test_a_record_must_match_its_payload(tmp_path: Path) -> None:
    cache = CaptureCache(tmp_path)
    with pytest.raises(ValueError, match="sha256"):
        cache.remember("coll", "20120101000000", "u", _record(b"a"), b"b")


def test_stale_temporaries_go_and_fresh_ones_stay(tmp_path: Path) -> None:
    cache = CaptureCache(tmp_path)
    payload = b"<p>article</p>"
    record = _record(payload)
    cache.remember("coll", record.timestamp, "u", record, payload)
    folder = tmp_path / "tmp"
    assert list(folder.iterdir()) == []  # written and renamed: nothing left behind
    stale, fresh = folder / ".tmp-old.part", folder / ".tmp-new.part"
    stale.write_bytes(b"half")  # what a run killed mid-write leaves
    fresh.write_bytes(b"half")  # what a run writing right now has
    old = time.time() - 7200
    os.utime(stale, (old, old))
    # Named after their writer (as write_atomic names them): a dead one's goes at once.
    killed, mine = folder / ".tmp-999999999-a.part", folder / f".tmp-{os.getpid()}-b.part"
    killed.write_bytes(b"half")
    mine.write_bytes(b"half")
    assert cache.remove_stale_temporaries() == 2
    assert not stale.exists() and not killed.exists() and fresh.exists() and mine.exists()
    assert cache.lookup("coll", record.timestamp, "u") == (record, payload)


def test_a_check_removes_what_a_killed_run_left(tmp_path: Path) -> None:
    from snapverify.pipeline import CheckOptions, check

    folder = tmp_path / "snapshots" / "seed"
    folder.mkdir(parents=True)
    (folder / "copy.md").write_text("# Title\n\nText.\n\nOriginal url: <http://10.9.9.9/a>\n")
    store = tmp_path / "snapshots" / ".snapverify"
    # The capture cache's and the link cache's temporaries, each left by a killed writer.
    left = [store / "cache" / "tmp" / ".tmp-killed.part", store / "links" / "tmp" / ".tmp-x.part"]
    old = time.time() - 7200
    for stale in left:
        stale.parent.mkdir(parents=True)
        stale.write_bytes(b"half")
        os.utime(stale, (old, old))
    (result,) = check([tmp_path / "snapshots"], CheckOptions(archives=()))
    assert result.exit_code == 3  # the private URL is refused before any request
    assert not any(stale.exists() for stale in left)


def test_archive_names_cannot_escape_the_cache(tmp_path: Path) -> None:
    cache = CaptureCache(tmp_path / "cache")
    payload = b"p"
    record = _record(payload)
    cache.remember("../../evil", record.timestamp, "u", record, payload)
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert written and all((tmp_path / "cache") in p.parents for p in written)
