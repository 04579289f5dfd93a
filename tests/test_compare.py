"""Comparing documents: edits, moves, metadata, merging across sources, provenance, scale."""

from __future__ import annotations

import random
import re
import time
from collections.abc import Sequence

import pytest

from snapverify.compare import Comparison, compare_documents
from snapverify.compare.align import _DIRECT_LIMIT, _diff
from snapverify.models import (
    Block,
    Document,
    Finding,
    FindingKind,
    Outcome,
    Source,
    SourceKind,
    Verdict,
)
from snapverify.timestamps import parse_timestamp

P = [
    "Police opened fire on striking oil workers in Zhanaozen on Friday, killing 15 people,"
    " according to officials.",
    "The government said the police had acted in self-defence and promised a full inquiry"
    " into the shooting.",
    "Witnesses described a very different scene, saying the workers were unarmed and the"
    " police fired without warning.",
    "The strike had lasted for seven months, with workers demanding higher wages and better"
    " conditions.",
    "Opposition politicians called for an independent investigation and for the officers to"
    " be brought to justice.",
]
NEW = (
    "Officials declined to comment on the report when reached by telephone late on Saturday"
    " evening."
)
DISCLAIMER = (
    "The views expressed in opinion pieces do not necessarily reflect the position of"
    " The Moscow Times."
)


def doc(paragraphs: Sequence[str], **fields: object) -> Document:
    return Document(blocks=tuple(Block(text) for text in paragraphs), **fields)  # type: ignore[arg-type]


def src(
    source_id: str = "a", stamp: str | None = "20120528010203", outcome: Outcome = Outcome.OK
) -> Source:
    return Source(
        id=source_id,
        kind=SourceKind.FILE,
        url="https://example.com/2012/05/27/story",
        timestamp=parse_timestamp(stamp) if stamp else None,
        outcome=outcome,
    )


def one(remote: Document, local: Document | None = None, **kwargs: object) -> Comparison:
    return compare_documents(local or doc(P), [(src(), remote)], **kwargs)  # type: ignore[arg-type]


def replaced(index: int, old: str, new: str, paragraphs: Sequence[str] = P) -> list[str]:
    result = list(paragraphs)
    assert old in result[index]
    result[index] = result[index].replace(old, new)
    return result


def kinds(comparison: Comparison) -> list[FindingKind]:
    return [finding.kind for finding in comparison.findings]


def only(comparison: Comparison) -> Finding:
    assert len(comparison.findings) == 1, comparison.findings
    return comparison.findings[0]


# --- verdicts -----------------------------------------------------------------------------


def test_identical_documents() -> None:
    comparison = one(doc(P))
    assert comparison.findings == ()
    assert comparison.verdict is Verdict.UNCHANGED and comparison.exit_code == 0
    assert comparison.sources[0].similarity == 1.0
    assert comparison.provenance is not None and comparison.provenance.similarity == 1.0


@pytest.mark.parametrize(
    "sources",
    [
        [],
        [(src("blocked", outcome=Outcome.BLOCKED), doc(P))],
        [(src("archived-error", outcome=Outcome.ARCHIVED_ERROR), doc(P))],
        [(src("none"), None)],
        [(src("blocked", outcome=Outcome.BLOCKED), doc(P)), (src("none"), None)],
    ],
    ids=["no-sources", "blocked", "archived-error", "no-document", "both"],
)
def test_no_comparable_source_is_unverifiable(
    sources: list[tuple[Source, Document | None]],
) -> None:
    comparison = compare_documents(doc(P), sources)
    assert comparison.verdict is Verdict.UNVERIFIABLE and comparison.exit_code == 4
    assert comparison.findings == ()
    assert comparison.provenance is None
    assert [source.id for source in comparison.sources] == [source.id for source, _ in sources]
    assert all(source.similarity is None for source in comparison.sources)


def test_redirected_source_is_compared() -> None:
    comparison = compare_documents(doc(P), [(src(outcome=Outcome.REDIRECTED), doc(P))])
    assert comparison.verdict is Verdict.UNCHANGED
    assert comparison.sources[0].similarity == 1.0


# --- edits --------------------------------------------------------------------------------


def test_number_change() -> None:
    comparison = one(doc(replaced(0, "15", "16")))
    finding = only(comparison)
    assert finding.kind is FindingKind.EDITED and finding.substantive
    assert finding.local_block == 0
    assert finding.detail == '"15" → "16"'
    assert ("delete", "15") in finding.diff and ("insert", "16") in finding.diff
    assert finding.diff.index(("delete", "15")) < finding.diff.index(("insert", "16"))
    assert finding.local_text == P[0] and finding.remote_text == P[0].replace("15", "16")
    assert finding.sources == ("a",)
    assert comparison.verdict is Verdict.CHANGED and comparison.exit_code == 1
    assert 0.9 < (comparison.sources[0].similarity or 0) < 1.0


def test_name_change() -> None:
    finding = only(one(doc(replaced(0, "Zhanaozen", "Zhanaozhen"))))
    assert finding.kind is FindingKind.EDITED and finding.substantive
    assert finding.detail.startswith("name ")
    assert '"Zhanaozen" → "Zhanaozhen"' in finding.detail


def test_inserted_word() -> None:
    finding = only(one(doc(replaced(2, "were unarmed", "were not unarmed"))))
    assert finding.kind is FindingKind.EDITED and finding.substantive
    assert finding.local_block == 2
    assert finding.detail == '"not" inserted'
    assert ("insert", "not") in finding.diff
    assert not any(op == "delete" for op, _ in finding.diff)


def test_deleted_words() -> None:
    finding = only(one(doc(replaced(1, " and promised a full inquiry into the shooting", ""))))
    assert finding.kind is FindingKind.EDITED and finding.substantive
    assert "deleted" in finding.detail
    # Punctuation glued to the deleted words comes along with them.
    assert ("delete", "and promised a full inquiry into the shooting.") in finding.diff
    assert not any(op == "insert" for op, _ in finding.diff)


def test_diff_rebuilds_both_texts() -> None:
    finding = only(one(doc(replaced(3, "seven months", "nine long months"))))
    old = " ".join(text for op, text in finding.diff if op in ("equal", "delete"))
    new = " ".join(text for op, text in finding.diff if op in ("equal", "insert"))
    assert old.split() == P[3].split()
    assert new.split() == P[3].replace("seven months", "nine long months").split()


# --- no findings and cosmetic findings ----------------------------------------------------


def test_paragraph_split_is_no_finding() -> None:
    first, second = P[1].split(" and promised")
    split = [P[0], first, "and promised" + second, *P[2:]]
    comparison = one(doc(split))
    assert comparison.findings == ()
    assert comparison.sources[0].similarity == 1.0


def test_paragraph_merge_is_no_finding() -> None:
    merged = [P[0] + " " + P[1], P[2], P[3] + " " + P[4]]
    comparison = one(doc(merged))
    assert comparison.findings == ()
    assert comparison.verdict is Verdict.UNCHANGED


def test_typography_is_no_finding_at_all() -> None:
    local = doc(
        [
            P[0].replace("according to officials", 'according to "officials"'),
            P[1].replace("self-defence", "self-defence's"),
            *P[2:],
        ]
    )
    remote = doc(
        [
            P[0].replace("according to officials", "according\u00a0to \u201cofficials\u201d"),
            P[1].replace("self-defence", "self-defence\u2019s").replace("inquiry", "in\u00adquiry"),
            P[2].replace("Witnesses", "Wit\u00adnesses").replace(" and ", "\u00a0and "),
            *P[3:],
        ]
    )
    comparison = one(remote, local)
    assert comparison.findings == ()
    assert comparison.verdict is Verdict.UNCHANGED
    assert comparison.sources[0].similarity == 1.0


@pytest.mark.parametrize(
    ("old", "new"),
    [("officials.", "officials!"), ("Police", "POLICE"), ("Friday, killing", "Friday killing")],
)
def test_punctuation_or_case_change_is_cosmetic(old: str, new: str) -> None:
    comparison = one(doc(replaced(0, old, new)))
    finding = only(comparison)
    assert finding.kind is FindingKind.EDITED
    assert not finding.substantive
    assert finding.local_block == 0
    assert finding.detail.startswith("punctuation or capitalisation changed")
    assert comparison.verdict is Verdict.UNCHANGED and comparison.exit_code == 0


def test_cosmetic_diff_lists_old_before_new() -> None:
    finding = only(one(doc(replaced(0, "officials.", "officials!"))))
    ops = [op for op, _ in finding.diff if op != "equal"]
    assert ops == ["delete", "insert"]


# --- missing, added, moved ----------------------------------------------------------------


def test_missing_paragraph() -> None:
    comparison = one(doc(P[:2] + P[3:]))
    finding = only(comparison)
    assert finding.kind is FindingKind.MISSING and finding.substantive
    assert finding.local_block == 2
    assert finding.local_text == P[2]
    assert finding.diff == (("delete", P[2]),)
    assert comparison.verdict is Verdict.CHANGED


@pytest.mark.parametrize(
    ("position", "after"), [(0, -1), (2, 1), (5, 4)], ids=["start", "middle", "end"]
)
def test_added_paragraph(position: int, after: int) -> None:
    remote = [*P[:position], NEW, *P[position:]]
    finding = only(one(doc(remote)))
    assert finding.kind is FindingKind.ADDED and finding.substantive
    assert finding.insert_after == after
    assert finding.local_block is None
    assert finding.remote_text == NEW
    assert finding.diff == (("insert", NEW),)


def test_moved_paragraph() -> None:
    comparison = one(doc([P[0], P[2], P[3], P[1], P[4]]))
    finding = only(comparison)
    assert finding.kind is FindingKind.MOVED
    assert not finding.substantive
    assert finding.local_block == 1 and finding.insert_after == 3
    assert comparison.verdict is Verdict.UNCHANGED and comparison.exit_code == 0


def test_moved_and_edited_paragraph() -> None:
    comparison = one(doc([P[1], P[2], P[3], P[0].replace("15", "16"), P[4]]))
    by_kind = {finding.kind: finding for finding in comparison.findings}
    assert sorted(by_kind) == sorted([FindingKind.MOVED, FindingKind.EDITED])
    assert len(comparison.findings) == 2
    moved, edited = by_kind[FindingKind.MOVED], by_kind[FindingKind.EDITED]
    assert moved.local_block == 0 and not moved.substantive
    assert edited.local_block == 0 and edited.substantive
    assert ("delete", "15") in edited.diff and ("insert", "16") in edited.diff
    assert comparison.verdict is Verdict.CHANGED


REPLACEMENT_DETAIL_REASON = (
    "rapidfuzz Indel.opcodes lists a replacement as insert-then-delete; _moved_changed "
    "(classify.py) and _finding (compare/metadata.py) pass those ops to describe(), which "
    'only recognises delete-then-insert, so the detail reads \'"16" inserted; "15" deleted\' '
    'instead of \'"15" → "16"\''
)


def test_moved_and_edited_detail_reads_old_to_new() -> None:
    comparison = one(doc([P[1], P[2], P[3], P[0].replace("15", "16"), P[4]]))
    edited = next(f for f in comparison.findings if f.kind is FindingKind.EDITED)
    assert edited.detail == '"15" → "16"'


def test_long_title_change_detail_reads_old_to_new() -> None:
    title = (
        "Kazakh Leaders Accused of Covering Up the Massacre of Striking Oil Workers in"
        " Zhanaozen Last December"
    )
    finding = only(one(doc(P, title=title.replace("Covering Up", "Hiding")), doc(P, title=title)))
    assert finding.field == "title"
    assert finding.detail == 'title changed: "Covering Up" → "Hiding"'


# --- metadata -----------------------------------------------------------------------------


def test_title_change() -> None:
    comparison = one(
        doc(P, title="Kazakh Massacre Denied"), doc(P, title="Kazakh Massacre Cover-Up")
    )
    finding = only(comparison)
    assert finding.kind is FindingKind.METADATA and finding.substantive
    assert finding.field == "title"
    assert finding.local_text == "Kazakh Massacre Cover-Up"
    assert finding.remote_text == "Kazakh Massacre Denied"
    assert finding.detail.startswith("title ")
    assert comparison.verdict is Verdict.CHANGED


@pytest.mark.parametrize(
    "remote",
    [
        {"title": "Kazakh Massacre Cover-Up | The Moscow Times"},
        {"title": "Kazakh Massacre Cover-Up - The Moscow Times"},
        {"title": "KAZAKH MASSACRE COVER-UP"},
        {"title": "The Moscow Times", "title_variants": ("Kazakh Massacre Cover-Up",)},
        {"title": None},
    ],
)
def test_title_without_finding(remote: dict[str, object]) -> None:
    comparison = one(doc(P, **remote), doc(P, title="Kazakh Massacre Cover-Up"))
    assert comparison.findings == ()


def test_title_gaining_a_leading_not_is_a_finding() -> None:
    comparison = one(
        doc(P, title="Not Guilty of Fraud, Court Says"),
        doc(P, title="Guilty of Fraud, Court Says"),
    )
    assert [finding.field for finding in comparison.findings] == ["title"]


def test_byline_change() -> None:
    finding = only(one(doc(P, byline="Anna Smith"), doc(P, byline="Robert Jones")))
    assert finding.kind is FindingKind.METADATA and finding.substantive
    assert finding.field == "byline"
    assert finding.local_text == "Robert Jones" and finding.remote_text == "Anna Smith"


@pytest.mark.parametrize("remote", ["By Robert Jones", "ROBERT JONES", "Robert Jones, Anna Smith"])
def test_byline_without_finding(remote: str) -> None:
    assert one(doc(P, byline=remote), doc(P, byline="Robert Jones")).findings == ()


@pytest.mark.parametrize(
    "remote",
    [
        "2012-05-27",
        "2012-05-27T19:51:00+04:00",
        "2012-05-27T00:10:00Z",
        "2012-05-27T23:51:00-04:00",
    ],
)
def test_same_published_day_is_no_finding(remote: str) -> None:
    assert one(doc(P, published=remote), doc(P, published="2012-05-27")).findings == ()


@pytest.mark.parametrize("remote", ["2012-06-01", "2012-06-01T10:00:00+04:00", "2011-05-27"])
def test_other_published_day_is_a_finding(remote: str) -> None:
    finding = only(one(doc(P, published=remote), doc(P, published="2012-05-27")))
    assert finding.kind is FindingKind.METADATA and finding.substantive
    assert finding.field == "published"
    assert finding.remote_text == remote


def test_modified_date_is_compared_only_when_both_give_it() -> None:
    assert one(doc(P, modified="2012-05-29"), doc(P)).findings == ()
    finding = only(one(doc(P, modified="2012-05-29"), doc(P, modified="2012-05-27")))
    assert finding.field == "modified"


def test_metadata_findings_come_first() -> None:
    comparison = one(
        doc(replaced(0, "15", "16"), title="Kazakh Massacre Denied"),
        doc(P, title="Kazakh Massacre Cover-Up"),
    )
    assert kinds(comparison) == [FindingKind.METADATA, FindingKind.EDITED]


# --- several sources ----------------------------------------------------------------------


def test_same_edit_in_three_sources_is_one_finding() -> None:
    edited = doc(replaced(0, "15", "16"))
    comparison = compare_documents(
        doc(P),
        [
            (src("wayback:20130101000000", "20130101000000"), edited),
            (src("wayback:20120601000000", "20120601000000"), edited),
            (src("wayback:20140101000000", "20140101000000"), edited),
        ],
    )
    finding = only(comparison)
    assert finding.kind is FindingKind.EDITED
    assert finding.sources == (
        "wayback:20120601000000",
        "wayback:20130101000000",
        "wayback:20140101000000",
    )
    assert finding.first_seen == parse_timestamp("20120601000000")
    assert finding.last_seen == parse_timestamp("20140101000000")
    # Every source keeps its place in the input order, with its own similarity.
    assert [source.id for source in comparison.sources] == [
        "wayback:20130101000000",
        "wayback:20120601000000",
        "wayback:20140101000000",
    ]
    assert all(source.similarity is not None for source in comparison.sources)


def test_same_edit_with_other_typography_is_still_one_finding() -> None:
    plain = doc(replaced(0, "15", "16"))
    curly = doc(replaced(0, "Friday, killing 15", "Friday,\u00a0killing 16"))
    comparison = compare_documents(doc(P), [(src("x", "2013"), plain), (src("y", "2014"), curly)])
    assert only(comparison).sources == ("x", "y")


def test_different_edits_are_different_findings() -> None:
    comparison = compare_documents(
        doc(P),
        [
            (src("x", "2013"), doc(replaced(0, "15", "16"))),
            (src("y", "2014"), doc(replaced(0, "15", "17"))),
            (src("z", None), doc(replaced(0, "15", "16"))),
        ],
    )
    assert len(comparison.findings) == 2
    by_detail = {finding.detail: finding for finding in comparison.findings}
    sixteen, seventeen = by_detail['"15" → "16"'], by_detail['"15" → "17"']
    assert sixteen.sources == ("x", "z")  # undated sources come last
    assert sixteen.first_seen == sixteen.last_seen == parse_timestamp("2013")
    assert seventeen.sources == ("y",)


def test_undated_sources_have_no_dates() -> None:
    finding = only(compare_documents(doc(P), [(src("u", None), doc(replaced(0, "15", "16")))]))
    assert finding.first_seen is None and finding.last_seen is None


def test_provenance_is_the_most_similar_source() -> None:
    comparison = compare_documents(
        doc(P),
        [
            (src("missing", "2011"), doc(P[1:])),
            (src("edited", "2012"), doc(replaced(0, "15", "16"))),
            (src("same", "2014"), doc(P)),
        ],
    )
    assert comparison.provenance is not None
    assert comparison.provenance.source == "same"
    assert comparison.provenance.similarity == 1.0
    similarity = {source.id: source.similarity for source in comparison.sources}
    assert similarity["missing"] < similarity["edited"] < similarity["same"]  # type: ignore[operator]


def test_provenance_tie_goes_to_fewer_substantive_findings() -> None:
    # An inserted word keeps every local word matched: both sources have similarity 1.0.
    comparison = compare_documents(
        doc(P),
        [
            (src("with-not", "2011"), doc(replaced(2, "were unarmed", "were not unarmed"))),
            (src("clean", "2014"), doc(P)),
        ],
    )
    assert [source.similarity for source in comparison.sources] == [1.0, 1.0]
    assert comparison.provenance is not None and comparison.provenance.source == "clean"


def test_provenance_tie_then_goes_to_the_earliest() -> None:
    comparison = compare_documents(
        doc(P),
        [
            (src("undated", None), doc(P)),
            (src("later", "2014"), doc(P)),
            (src("earlier", "2012"), doc(P)),
        ],
    )
    assert comparison.provenance is not None and comparison.provenance.source == "earlier"


# --- ignore patterns ----------------------------------------------------------------------


def test_ignore_pattern_removes_a_disclaimer_difference() -> None:
    local = doc([*P, DISCLAIMER])
    assert kinds(one(doc(P), local)) == [FindingKind.MISSING]
    for pattern in (r"The views expressed.*", re.compile(r"The views expressed.*")):
        comparison = one(doc(P), local, ignore=[pattern])
        assert comparison.findings == ()
        assert comparison.sources[0].similarity == 1.0


def test_ignore_pattern_leaves_other_changes() -> None:
    comparison = one(doc(replaced(0, "15", "16")), doc([*P, DISCLAIMER]), ignore=["The views.*"])
    assert only(comparison).detail == '"15" → "16"'


@pytest.mark.parametrize("pattern", ["(", "[a-", "*x"])
def test_invalid_ignore_pattern_raises(pattern: str) -> None:
    with pytest.raises(re.error):
        one(doc(P), ignore=[pattern])


# --- scale --------------------------------------------------------------------------------


def _numbered(n: int) -> str:
    return (
        f"Paragraph {n} reports that the council met on day {n} and voted {n % 7} times on"
        f" item {n * 3}, according to minutes."
    )


BIG = [_numbered(n) for n in range(5000)]
BIG_EDITS = {
    100: ("council", "committee"),
    2500: ("according to minutes", "according to the minutes"),
    4900: ("voted", "refused"),
}


def _big_edited() -> list[str]:
    remote = list(BIG)
    for index, (old, new) in BIG_EDITS.items():
        remote = replaced(index, old, new, remote)
    return remote


def _assert_big_findings(comparison: Comparison) -> None:
    assert [f.local_block for f in comparison.findings] == sorted(BIG_EDITS)
    assert all(f.kind is FindingKind.EDITED and f.substantive for f in comparison.findings)
    details = [f.detail for f in comparison.findings]
    assert details == ['"council" → "committee"', '"the" inserted', '"voted" → "refused"']


def test_large_documents_with_three_edits() -> None:
    start = time.perf_counter()
    comparison = one(doc(_big_edited()), doc(BIG))
    assert time.perf_counter() - start < 5.0
    _assert_big_findings(comparison)


def test_large_documents_with_other_paragraph_breaks() -> None:
    # Every two paragraphs merged: no block matches whole, the word diff does all the work.
    remote = _big_edited()
    merged = [remote[n] + " " + remote[n + 1] for n in range(0, len(remote), 2)]
    start = time.perf_counter()
    comparison = one(doc(merged), doc(BIG))
    assert time.perf_counter() - start < 5.0
    _assert_big_findings(comparison)


# --- align internals ----------------------------------------------------------------------


def _check_ops(a: list[str], b: list[str], ops: list[tuple[str, int, int, int, int]]) -> int:
    """Assert the ops walk both sequences in order; return the number of equal words."""
    i = j = equal = 0
    for tag, i1, i2, j1, j2 in ops:
        assert (i1, j1) == (i, j), (tag, i1, i2, j1, j2, i, j)
        if tag == "equal":
            assert i2 - i1 == j2 - j1 and a[i1:i2] == b[j1:j2]
            equal += i2 - i1
        elif tag == "insert":
            assert i1 == i2 and j2 > j1
        elif tag == "delete":
            assert j1 == j2 and i2 > i1
        else:
            raise AssertionError(f"unknown op {tag}")
        i, j = i2, j2
    assert (i, j) == (len(a), len(b))
    return equal


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_diff_beyond_the_direct_limit_is_consistent(seed: int) -> None:
    rng = random.Random(seed)
    a = [rng.choice(["the", "a", "of"]) if rng.random() < 0.3 else f"w{n}" for n in range(3000)]
    b = list(a)
    for _ in range(30):
        k = rng.randrange(len(b))
        roll = rng.random()
        if roll < 0.3:
            b[k] = "changed"
        elif roll < 0.6:
            b.insert(k, "inserted")
        else:
            del b[k]
    assert len(a) * len(b) > _DIRECT_LIMIT
    ops = _diff(a, b)
    equal = _check_ops(a, b, ops)
    assert equal >= len(a) - 40  # 30 edits touch at most 30 words (plus shifted anchors)


def test_diff_beyond_the_direct_limit_with_offsets() -> None:
    a = [f"w{n}" for n in range(3000)]
    b = a[:1000] + ["new", "words"] + a[1000:2000] + a[2001:]
    ops = _diff(a, b, 10, 20)
    shifted = [(tag, i1 - 10, i2 - 10, j1 - 20, j2 - 20) for tag, i1, i2, j1, j2 in ops]
    assert _check_ops(a, b, shifted) == 2999


def test_diff_without_unique_anchors_is_still_consistent() -> None:
    a = ["the"] * 2500
    b = ["the"] * 2000 + ["a"] * 600
    assert len(a) * len(b) > _DIRECT_LIMIT
    _check_ops(a, b, _diff(a, b))


# --- no false alarms: scripts without spaces, references, spacing, metadata -------------

ZH = [
    "香港行政长官梁振英在各方压力下就其大宅的违章建筑问题到立法会接受质询，并向香港民众道歉。",
    "梁振英表示，他在2012年3月竞选期间未有发现问题，对此感到非常抱歉，并承诺会全力配合调查。",
    "反对派议员批评他没有诚信，要求他尽快交代事件的来龙去脉，并考虑提出不信任动议。",
]
TH = [
    "นายสมชายเดินทางไปเชียงใหม่เมื่อวันจันทร์เพื่อพบกับครอบครัวของเขาที่ไม่ได้เจอกันมานาน",
    "เจ้าหน้าที่ตำรวจกล่าวว่ามีผู้บาดเจ็บ 12 คนจากเหตุการณ์ดังกล่าวและได้นำตัวส่งโรงพยาบาลแล้ว",
    "ประชาชนในพื้นที่ต่างแสดงความกังวลเกี่ยวกับความปลอดภัยและเรียกร้องให้รัฐบาลเข้ามาดูแล",
]


@pytest.mark.parametrize(
    ("paragraphs", "index", "old", "new"),
    [
        (ZH, 1, "2012", "2013"),  # a number in Chinese
        (ZH, 0, "梁振英", "梁振華"),  # a name in Chinese
        (TH, 1, "12", "21"),  # a number in Thai
        (TH, 0, "สมชาย", "สมศักดิ์"),  # a name in Thai
    ],
)
def test_an_edit_in_a_script_without_spaces_is_edited_and_shows_its_characters(
    paragraphs: list[str], index: int, old: str, new: str
) -> None:
    remote = doc(replaced(index, old, new, paragraphs))
    finding = only(one(remote, doc(paragraphs)))
    assert finding.kind is FindingKind.EDITED and finding.substantive
    assert finding.local_block == index
    changed = [text for op, text in finding.diff if op != "equal"]
    # Only the changed characters, never the whole paragraph as one "word".
    assert changed and all(len(text) <= len(old) + len(new) for text in changed)
    assert any(new_part in new for op, new_part in finding.diff if op == "insert")


def test_an_unchanged_paragraph_in_a_script_without_spaces_is_many_words() -> None:
    comparison = one(doc(TH), doc(TH))
    assert comparison.findings == ()
    missing = only(one(doc(TH[1:]), doc(TH)))
    assert missing.kind is FindingKind.MISSING
    assert re.search(r"\((\d+) words\)", missing.detail)
    count = int(re.search(r"\((\d+) words\)", missing.detail).group(1))  # type: ignore[union-attr]
    assert count > 10


def test_a_written_out_reference_is_its_character() -> None:
    local = doc(["Sales grew 400% in a year, to caf\u00e9s and bars.", *P])
    remote = doc(["Sales grew 400&percnt; in a year, to caf&amp;eacute;s and bars.", *P])
    comparison = one(remote, local)
    assert not any(finding.substantive for finding in comparison.findings)


@pytest.mark.parametrize(
    ("local_text", "remote_text"),
    [
        ("UpdatedPolice said the strike was over.", "Updated Police said the strike was over."),
        ("Updated Police said the strike was over.", "UpdatedPolice said the strike was over."),
        ("Police said the strike was overon Friday.", "Police said the strike was over on Friday."),
    ],
)
def test_words_joined_or_split_by_markup_are_cosmetic(local_text: str, remote_text: str) -> None:
    finding = only(one(doc([local_text, *P]), doc([remote_text, *P])))
    assert finding.kind is FindingKind.EDITED and not finding.substantive
    assert finding.detail.startswith("spacing between words changed")


def test_a_heading_joined_by_markup_is_cosmetic_not_missing_and_added() -> None:
    finding = only(one(doc(["Latest Updates", *P]), doc(["LatestUpdates", *P])))
    assert finding.kind is FindingKind.EDITED and not finding.substantive


def test_a_word_moved_inside_a_sentence_is_still_an_edit() -> None:
    local = doc(["He said the police were not armed and fired.", *P])
    remote = doc(["He said the police were armed and not fired.", *P])
    finding = only(one(remote, local))
    assert finding.kind is FindingKind.EDITED and finding.substantive


@pytest.mark.parametrize(
    ("local", "remote"),
    [
        ("Stella Kim, Jennifer Jett", "Stella Kim and Jennifer Jett"),
        ("Stella Kim and Jennifer Jett", "By Stella Kim & Jennifer Jett"),
        ('Amanda "Tania Mae" Tan', "Amanda Tan"),
        ("Amanda \u201cTania Mae\u201d Tan", 'Amanda "Tania Mae" Tan'),
        ("J\u00e9r\u00e9my Piette", "Jeremy Piette"),
        ("Alejandro de la Garza", "Alejandro De La Garza"),
        ("Robert Jones", "Politics desk"),  # a desk names nobody
        ("Robert Jones", "Staff"),
        ("Robert Jones", "Updated 3 May 2012"),  # a date is not a byline
        ("National Desk", "Robert Jones"),
        ("Robert Jones, Staff Writer", "Robert Jones"),
    ],
)
def test_bylines_that_name_the_same_people_or_nobody_give_no_finding(
    local: str, remote: str
) -> None:
    assert one(doc(P, byline=remote), doc(P, byline=local)).findings == ()


def test_a_byline_naming_someone_else_is_still_a_finding() -> None:
    finding = only(one(doc(P, byline="Anna Smith and Jennifer Jett"), doc(P, byline="Stella Kim")))
    assert finding.field == "byline"


@pytest.mark.parametrize(
    "remote",
    [
        "Kazakh Massacre Cover-Up @ Jones's Blog :: Blogs ::",
        "Kazakh Massacre Cover-Up :: The Moscow Times",
        "The Moscow Times: Kazakh Massacre Cover-Up",  # the publication's name, then a colon
        "Example: Kazakh Massacre Cover-Up",  # the host's name (example.com)
        "Kazakh Massacre Cover-Up \u00bb The Moscow Times",
    ],
)
def test_a_site_name_beside_the_title_is_no_title_change(remote: str) -> None:
    local = doc(P, title="Kazakh Massacre Cover-Up", url="https://example.com/2012/05/27/story")
    remote_doc = doc(P, title=remote, publication="The Moscow Times")
    assert one(remote_doc, local).findings == ()


def test_a_prefix_that_is_not_the_site_is_a_title_change() -> None:
    local = doc(P, title="Tax Plan Unveiled", url="https://example.com/story")
    remote = doc(P, title="Biden: Tax Plan Unveiled", publication="The Moscow Times")
    assert [finding.field for finding in one(remote, local).findings] == ["title"]


@pytest.mark.parametrize(
    ("local", "remote"),
    [
        ("2024-12-06", "2024-12-06T22:00:40Z"),
        ("2024-12-07", "2024-12-06T22:00:40Z"),  # the same instant, in Seoul
        ("2024-12-06", "2024-12-07T03:00:00+00:00"),  # the same instant, in New York
    ],
)
def test_a_day_written_alone_matches_an_instant_on_that_day_somewhere(
    local: str, remote: str
) -> None:
    assert one(doc(P, published=remote), doc(P, published=local)).findings == ()


@pytest.mark.parametrize("local", ["2024-12-09", "2024-12-04", "2024-12-07T09:00:00+00:00"])
def test_a_day_no_time_zone_reaches_is_a_finding(local: str) -> None:
    finding = only(one(doc(P, published="2024-12-06T22:00:40Z"), doc(P, published=local)))
    assert finding.field == "published"
