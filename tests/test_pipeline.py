"""compare_files: the seed against the Moscow Times fixtures, end to end."""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from snapverify.errors import InputError, UsageError
from snapverify.models import (
    SCHEMA,
    CheckResult,
    Extraction,
    FindingKind,
    SourceKind,
    Verdict,
)
from snapverify.pipeline import compare_files, parse_source_spec
from snapverify.timestamps import parse_timestamp
from support import (
    FINDING_KEYS,
    FINDING_KINDS,
    FIXTURES,
    RESULT_KEYS,
    SEED,
    SEED_URL,
    SNAPSHOT_KEYS,
    SOURCE_KEYS,
)

ARTICLE_URL = SEED_URL
ORIGINAL = FIXTURES / "capture-original.html"
EDITED = FIXTURES / "capture-edited.html"
REMOVED_ADDED = FIXTURES / "capture-removed-added.html"
SOFT404 = FIXTURES / "soft404.html"


@pytest.fixture(autouse=True)
def seed_is_never_modified() -> Iterator[None]:
    before = SEED.read_bytes()
    stat = SEED.stat()
    yield
    assert SEED.read_bytes() == before
    assert SEED.stat().st_mtime_ns == stat.st_mtime_ns


def _id(path: Path | str) -> str:
    return f"file:{path}"


# --- the fixtures -------------------------------------------------------------------------


def test_original_capture_is_unchanged() -> None:
    result = compare_files(SEED, [f"{ORIGINAL}@20120528010203"])
    assert result.verdict is Verdict.UNCHANGED and result.exit_code == 0
    assert not [finding for finding in result.findings if finding.substantive]
    (source,) = result.sources
    assert source.id == _id(ORIGINAL)
    assert source.kind is SourceKind.FILE
    assert source.timestamp == parse_timestamp("20120528010203")
    assert source.similarity == 1.0
    assert source.extraction is Extraction.GUIDED
    assert source.sha256 == hashlib.sha256(ORIGINAL.read_bytes()).hexdigest()
    assert result.provenance is not None
    assert result.provenance.source == _id(ORIGINAL) and result.provenance.similarity == 1.0
    assert result.snapshot.url == ARTICLE_URL
    assert result.snapshot.title == "Kazakh Massacre Cover-Up"


@pytest.mark.parametrize("name", ["capture-boilerplate.html", "capture-toolbar.html"])
def test_same_article_in_other_surroundings_is_unchanged(name: str) -> None:
    result = compare_files(SEED, [str(FIXTURES / name)])
    assert result.verdict is Verdict.UNCHANGED and result.exit_code == 0
    assert not [finding for finding in result.findings if finding.substantive]
    assert result.sources[0].similarity == 1.0


def test_edited_capture() -> None:
    result = compare_files(SEED, [f"{EDITED}@2013", f"{ORIGINAL}@2012"])
    assert result.verdict is Verdict.CHANGED and result.exit_code == 1
    substantive = [finding for finding in result.findings if finding.substantive]
    assert len(substantive) == 2
    number, name = substantive
    assert number.kind is FindingKind.EDITED and number.local_block == 3
    assert number.detail == '"15" → "16"'
    assert ("delete", "15") in number.diff and ("insert", "16") in number.diff
    assert name.kind is FindingKind.EDITED and name.local_block == 6
    assert '"Edilov" → "Yedilov"' in name.detail
    assert ("delete", "Edilov,") in name.diff or ("delete", "Edilov") in name.diff
    for finding in substantive:
        assert finding.sources == (_id(EDITED),)
        assert finding.first_seen == parse_timestamp("2013")
        assert finding.last_seen == parse_timestamp("2013")
    assert result.provenance is not None and result.provenance.source == _id(ORIGINAL)
    similarity = {source.id: source.similarity for source in result.sources}
    assert similarity[_id(ORIGINAL)] == 1.0
    assert 0.99 < similarity[_id(EDITED)] < 1.0  # type: ignore[operator]


def test_removed_and_added_passages() -> None:
    result = compare_files(SEED, [str(REMOVED_ADDED)])
    assert result.verdict is Verdict.CHANGED and result.exit_code == 1
    missing = [finding for finding in result.findings if finding.kind is FindingKind.MISSING]
    added = [finding for finding in result.findings if finding.kind is FindingKind.ADDED]
    assert not [finding for finding in result.findings if finding.kind is FindingKind.EDITED]
    (gone,) = missing
    assert gone.local_block == 7 and gone.substantive
    assert gone.local_text is not None and gone.local_text.startswith("One prosecution witness")
    assert sorted(finding.insert_after for finding in added) == [4, 12]  # type: ignore[type-var]
    by_place = {finding.insert_after: finding for finding in added}
    assert by_place[4].remote_text is not None
    assert by_place[4].remote_text.startswith("Kazakhstan’s Interior Ministry did not respond")
    assert by_place[12].remote_text is not None
    assert by_place[12].remote_text.startswith("Correction: An earlier version")
    assert all(finding.substantive for finding in added)
    assert all(finding.first_seen is None for finding in result.findings)


def test_soft_404_page_is_noted_and_changed() -> None:
    result = compare_files(SEED, [str(SOFT404)])
    (source,) = result.sources
    assert source.extraction is Extraction.GENERIC
    assert source.note is not None and "generic" in source.note
    assert source.similarity == 0.0
    assert result.verdict is Verdict.CHANGED and result.exit_code == 1


# --- bad sources --------------------------------------------------------------------------


def test_missing_source_names_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "gone.html"
    with pytest.raises(InputError) as caught:
        compare_files(SEED, [str(missing)])
    assert str(missing) in str(caught.value)
    assert caught.value.exit_code == 2


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("empty.html", b""),
        ("blank.txt", b"  \n\n\t "),
        ("binary.dat", bytes(range(256)) * 8),
        ("image.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64)),
    ],
)
def test_unreadable_source_names_the_file(tmp_path: Path, name: str, data: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(InputError) as caught:
        compare_files(SEED, [str(path)])
    assert str(path) in str(caught.value)


def test_directory_source_names_it(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        compare_files(SEED, [str(tmp_path)])
    assert str(tmp_path) in str(caught.value)


def test_binary_source_with_html_suffix_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_bytes(gzip.compress(ORIGINAL.read_bytes()))
    with pytest.raises(InputError) as caught:
        compare_files(SEED, [str(path)])
    assert str(path) in str(caught.value)


def test_missing_local_copy_names_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "nothing.txt"
    with pytest.raises(InputError) as caught:
        compare_files(missing, [str(ORIGINAL)])
    assert str(missing) in str(caught.value)


# --- PATH@TIMESTAMP -----------------------------------------------------------------------


def test_at_sign_without_timestamp_is_part_of_the_path(tmp_path: Path) -> None:
    odd = tmp_path / "capture.html@notatimestamp"
    shutil.copy(ORIGINAL, odd)
    assert parse_source_spec(str(odd)) == (odd, None)
    result = compare_files(SEED, [str(odd)])
    assert result.sources[0].id == _id(odd)
    assert result.sources[0].timestamp is None
    assert result.verdict is Verdict.UNCHANGED


def test_existing_path_ending_in_digits_wins_over_the_split(tmp_path: Path) -> None:
    odd = tmp_path / "capture@2012"
    shutil.copy(ORIGINAL, odd)
    assert parse_source_spec(str(odd)) == (odd, None)
    assert parse_source_spec(str(tmp_path / "other.html@2012")) == (
        tmp_path / "other.html",
        "2012",
    )
    result = compare_files(SEED, [str(odd)])
    assert result.sources[0].timestamp is None


def test_impossible_timestamp_is_a_usage_error() -> None:
    with pytest.raises(UsageError):
        compare_files(SEED, [f"{ORIGINAL}@20121399"])


def test_invalid_ignore_pattern_is_a_usage_error() -> None:
    with pytest.raises(UsageError):
        compare_files(SEED, [str(ORIGINAL)], ignore=["("])


def test_ignore_pattern_is_applied() -> None:
    result = compare_files(SEED, [str(REMOVED_ADDED)], ignore=[r"^Correction:.*"])
    assert 12 not in [finding.insert_after for finding in result.findings]
    assert 4 in [finding.insert_after for finding in result.findings]


# --- the JSON report ----------------------------------------------------------------------


def _check_contract(result: CheckResult) -> dict[str, object]:
    data = json.loads(json.dumps(result.as_dict()))
    assert set(data) >= set(RESULT_KEYS)
    assert data["schema"] == SCHEMA == "snapverify/check-v1"
    assert set(data["snapshot"]) >= set(SNAPSHOT_KEYS)
    assert data["verdict"] in {"unchanged", "changed", "unverifiable"}
    assert isinstance(data["exit_code"], int)
    for source in data["sources"]:
        assert set(source) >= set(SOURCE_KEYS)
        assert source["kind"] in {"live", "archive", "warc", "file"}
        assert source["timestamp"] is None or (
            len(source["timestamp"]) == 14 and source["timestamp"].isdigit()
        )
        assert source["similarity"] is None or 0.0 <= source["similarity"] <= 1.0
    for finding in data["findings"]:
        assert set(finding) >= set(FINDING_KEYS)
        assert finding["kind"] in FINDING_KINDS
        assert isinstance(finding["substantive"], bool)
        assert isinstance(finding["detail"], str) and finding["detail"]
        assert set(finding["sources"]) <= {source["id"] for source in data["sources"]}
        for pair in finding["diff"]:
            assert isinstance(pair, list) and len(pair) == 2
            assert pair[0] in {"equal", "delete", "insert"}
        for key in ("first_seen", "last_seen"):
            assert finding[key] is None or (len(finding[key]) == 14 and finding[key].isdigit())
    provenance = data["provenance"]
    if provenance is not None:
        assert set(provenance) >= {"source", "similarity"}
        assert provenance["source"] in {source["id"] for source in data["sources"]}
    return data  # type: ignore[no-any-return]


def test_json_matches_the_contract() -> None:
    result = compare_files(SEED, [f"{EDITED}@20130101000000", f"{ORIGINAL}@20120528010203"])
    data = _check_contract(result)
    assert data["verdict"] == "changed" and data["exit_code"] == 1
    snapshot = data["snapshot"]
    assert isinstance(snapshot, dict)
    assert snapshot["url"] == ARTICLE_URL
    assert snapshot["title"] == "Kazakh Massacre Cover-Up"
    assert snapshot["path"] == str(SEED)
    findings = data["findings"]
    assert isinstance(findings, list)
    assert [finding["first_seen"] for finding in findings] == ["20130101000000"] * 2
    assert [finding["diff"][1] for finding in findings][0] == ["delete", "15"]


@pytest.mark.parametrize("sources", [[str(REMOVED_ADDED)], [str(SOFT404)], [str(ORIGINAL)]])
def test_json_contract_for_every_fixture(sources: list[str]) -> None:
    _check_contract(compare_files(SEED, sources))


def test_snapshot_sha256_is_the_seed_file_hash() -> None:
    result = compare_files(SEED, [str(ORIGINAL)])
    assert result.snapshot.sha256 == hashlib.sha256(SEED.read_bytes()).hexdigest()
    assert result.as_dict()["snapshot"]["sha256"] == result.snapshot.sha256
