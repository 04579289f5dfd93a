"""Accuracy benchmark: seeded edits on real articles, snapverify against two baselines.

For every real page (scrapinghub_aeb, curated_articles_9lang, readability_news), the
local copy is the page's expected article text written as Markdown. The unmodified copy
is checked against three renderings of the page (the controls: the raw page, the page as
a Wayback playback with its toolbar and rewritten links, and a cosmetic-only re-render);
one copy per edit kind carries exactly one seeded edit. Each tool compares each copy
with the page, and the script scores whether the tool reports that edit, with the right
kind at the right place, and nothing else. Edits also run as a timeline (an older
capture that says what the local copy says, then the page): the edit must be first seen
in the page, not in the older capture.

Run by hand (it reads ../shared/realdata; see benchmarks/README.md)::

    python benchmarks/accuracy.py [--set aeb,curated] [--limit N] [--details] [--json out.json]
"""

from __future__ import annotations

import argparse
import dataclasses
import difflib
import json
import multiprocessing
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from random import Random
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from _data import (  # noqa: E402
    CORPORA,
    Page,
    load_pages,
    page_rng,
    to_markdown,
    word_count,
    words,
)
from _variants import cosmetic, wayback_playback, with_local_text  # noqa: E402

EDIT_KINDS = ("number", "name", "negation", "deleted", "inserted", "moved", "split", "merge")
# what the web shows compared with the edited local copy
EXPECTED: dict[str, str | None] = {
    "number": "edited",
    "name": "edited",
    "negation": "edited",
    "deleted": "missing",
    "inserted": "added",
    "moved": "moved",
    "split": None,
    "merge": None,
}
# the seeded edits: recall is measured over these
SEEDED = ("number", "name", "negation", "deleted", "inserted")
# an unmodified local copy against three renderings of the same page
CONTROLS = ("control", "wayback", "cosmetic")
# findings that do not count against a control (nor for precision)
NOT_TEXT = frozenset({"metadata", "link_rot", "dead_link", "lost_link_target"})
TOOLS = ("snapverify", "naive", "trafilatura")
OLDER = "20120101000000"
NEWER = "20130101000000"
MIN_WORDS = 8
MIN_DONOR_WORDS = 15
TEXT_LIMIT = 400


# --- seeded edits ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Case:
    """One local copy: the paragraphs and the single edit it carries (none for the control)."""

    kind: str  # one of CONTROLS or of EDIT_KINDS
    paragraphs: tuple[str, ...]
    target: int | None = None  # local block of the edit (edited / missing / moved)
    removed: str | None = None  # the paragraph removed from the local copy (inserted)
    insert_after: int | None = None  # where the web has the removed paragraph (inserted)
    note: str = ""
    md: tuple[str | None, ...] = ()  # each paragraph's Markdown, when the page gives it


# a whole number, not digits inside a word ("286m", "12th") nor a part of a longer number
_NUMBER = re.compile(r"(?<!\w)\d+(?!\w)")
_NAME = re.compile(r"(?<![\w'\u2019-])[^\W\d_][^\W\d_]{3,}(?![\w'\u2019-])")
_SENTENCE_END = re.compile(r"[.!?:;\"\u201c\u201d\u2018\u2019]\s*$")
_AUX = re.compile(
    r"\b(is|was|are|were|will|can|has|have|had|would|could|should|do|does|did)\b"
    r"(?!\s+not\b|n[\u2019']t)"
)
_NOT = re.compile(r" not\b")
_SENTENCE_BREAK = re.compile(
    r"(?<=[.!?])[\"\u201d\u2019)]*( +)(?=[\"\u201c\u2018(]?[A-Z\u00c0-\u00de])"
)
_ABBREVIATIONS = frozenset({"mr", "mrs", "ms", "dr", "st", "jr", "sr", "prof", "gen", "sen", "rep"})


def _eligible(paragraphs: Sequence[str], minimum: int = MIN_WORDS) -> list[int]:
    return [i for i, p in enumerate(paragraphs) if word_count(p) >= minimum]


def _unique(paragraphs: Sequence[str], index: int) -> bool:
    key = words(paragraphs[index])
    return sum(1 for p in paragraphs if words(p) == key) == 1


def _replace(paragraphs: Sequence[str], index: int, text: str) -> tuple[str, ...]:
    return tuple(text if i == index else p for i, p in enumerate(paragraphs))


def edit_number(paragraphs: Sequence[str], rng: Random, donors: Sequence[str]) -> Case | None:
    candidates = [i for i in _eligible(paragraphs) if _NUMBER.search(paragraphs[i])]
    if not candidates:
        return None
    index = rng.choice(candidates)
    text = paragraphs[index]
    match = rng.choice(list(_NUMBER.finditer(text)))
    old = match.group()
    new = str(int(old) + 1).zfill(len(old))
    edited = text[: match.start()] + new + text[match.end() :]
    return Case("number", _replace(paragraphs, index, edited), target=index, note=f"{old} -> {new}")


def _change_name(word: str, rng: Random) -> str:
    swaps = [k for k in range(1, len(word) - 2) if word[k] != word[k + 1]]
    if not swaps:
        return word + "s"
    k = rng.choice(swaps)
    return word[:k] + word[k + 1] + word[k] + word[k + 2 :]


def edit_name(paragraphs: Sequence[str], rng: Random, donors: Sequence[str]) -> Case | None:
    found: dict[int, list[re.Match[str]]] = {}
    for i in _eligible(paragraphs):
        text = paragraphs[i]
        names = [
            m
            for m in _NAME.finditer(text)
            if m.group()[0].isupper()
            and not m.group()[1:].isupper()
            and m.start() > 0
            and not _SENTENCE_END.search(text[: m.start()])
        ]
        if names:
            found[i] = names
    if not found:
        return None
    index = rng.choice(sorted(found))
    match = rng.choice(found[index])
    text = paragraphs[index]
    new = _change_name(match.group(), rng)
    edited = text[: match.start()] + new + text[match.end() :]
    return Case(
        "name", _replace(paragraphs, index, edited), target=index, note=f"{match.group()} -> {new}"
    )


def edit_negation(paragraphs: Sequence[str], rng: Random, donors: Sequence[str]) -> Case | None:
    eligible = _eligible(paragraphs)
    insert = [i for i in eligible if _AUX.search(paragraphs[i])]
    if insert:
        index = rng.choice(insert)
        text = paragraphs[index]
        match = _AUX.search(text)
        assert match is not None
        edited = text[: match.end()] + " not" + text[match.end() :]
        note = f"{match.group()} -> {match.group()} not"
    else:
        remove = [i for i in eligible if _NOT.search(paragraphs[i])]
        if not remove:
            return None
        index = rng.choice(remove)
        text = paragraphs[index]
        edited = _NOT.sub("", text, count=1)
        note = "removed 'not'"
    return Case("negation", _replace(paragraphs, index, edited), target=index, note=note)


def edit_deleted(paragraphs: Sequence[str], rng: Random, donors: Sequence[str]) -> Case | None:
    """The web no longer has a passage: the local copy gains another article's paragraph."""
    own = {tuple(words(p)) for p in paragraphs}
    choices = [d for d in donors if tuple(words(d)) not in own]
    if not choices:
        return None
    donor = rng.choice(choices)
    index = rng.randint(0, len(paragraphs))
    edited = (*paragraphs[:index], donor, *paragraphs[index:])
    return Case("deleted", edited, target=index, note="foreign paragraph inserted locally")


def edit_inserted(paragraphs: Sequence[str], rng: Random, donors: Sequence[str]) -> Case | None:
    """The web has a passage the local copy lacks: remove a paragraph from the local copy."""
    if len(paragraphs) < 2:
        return None
    candidates = [i for i in _eligible(paragraphs) if _unique(paragraphs, i)]
    if not candidates:
        return None
    index = rng.choice(candidates)
    edited = tuple(p for i, p in enumerate(paragraphs) if i != index)
    return Case(
        "inserted",
        edited,
        removed=paragraphs[index],
        insert_after=index - 1,
        note=f"paragraph {index} removed locally",
    )


def edit_moved(paragraphs: Sequence[str], rng: Random, donors: Sequence[str]) -> Case | None:
    n = len(paragraphs)
    candidates = [i for i in _eligible(paragraphs) if _unique(paragraphs, i)]
    options = [(i, j) for i in candidates for j in range(n) if abs(j - i) >= 2]
    if not options:
        return None
    index = rng.choice(sorted({i for i, _ in options}))
    new = rng.choice([j for i, j in options if i == index])
    rest = [p for i, p in enumerate(paragraphs) if i != index]
    rest.insert(new, paragraphs[index])
    return Case("moved", tuple(rest), target=new, note=f"paragraph {index} moved to {new}")


def _sentence_breaks(text: str) -> list[re.Match[str]]:
    breaks = []
    for match in _SENTENCE_BREAK.finditer(text):
        before = text[: match.start()].rstrip('"\u201d\u2019).!?')
        last = before.rsplit(None, 1)[-1] if before.split() else ""
        if len(last) <= 1 or last.lower() in _ABBREVIATIONS or "." in last:
            continue  # an initial, an abbreviation or "U.S." rather than a sentence end
        if word_count(text[: match.start()]) >= 3 and word_count(text[match.end() :]) >= 3:
            breaks.append(match)
    return breaks


def edit_split(paragraphs: Sequence[str], rng: Random, donors: Sequence[str]) -> Case | None:
    candidates = [i for i in _eligible(paragraphs) if _sentence_breaks(paragraphs[i])]
    if not candidates:
        return None
    index = rng.choice(candidates)
    text = paragraphs[index]
    match = rng.choice(_sentence_breaks(text))
    first, second = text[: match.start(1)].strip(), text[match.end(1) :].strip()
    edited = (*paragraphs[:index], first, second, *paragraphs[index + 1 :])
    return Case("split", edited, note=f"paragraph {index} split in two")


def edit_merge(paragraphs: Sequence[str], rng: Random, donors: Sequence[str]) -> Case | None:
    if len(paragraphs) < 2:
        return None
    index = rng.randrange(len(paragraphs) - 1)
    merged = paragraphs[index] + " " + paragraphs[index + 1]
    edited = (*paragraphs[:index], merged, *paragraphs[index + 2 :])
    return Case("merge", edited, note=f"paragraphs {index} and {index + 1} merged")


EDITORS: dict[str, Callable[[Sequence[str], Random, Sequence[str]], Case | None]] = {
    "number": edit_number,
    "name": edit_name,
    "negation": edit_negation,
    "deleted": edit_deleted,
    "inserted": edit_inserted,
    "moved": edit_moved,
    "split": edit_split,
    "merge": edit_merge,
}


_MD_PREFIX = re.compile(r"^(?:#{1,6} |> |[-*+] |\d+[.)] )")


def _with_md(page: Page, case: Case) -> Case:
    """Give the copy the page's Markdown: unchanged paragraphs keep theirs, an edited
    paragraph keeps its heading, quote or list marker."""
    if not page.md:
        return case
    by_text = dict(zip(page.paragraphs, page.md, strict=True))
    md: list[str | None] = []
    for i, text in enumerate(case.paragraphs):
        if text in by_text:
            md.append(by_text[text])
        elif case.kind in ("number", "name", "negation") and i == case.target:
            from _data import escape_markdown

            marker = _MD_PREFIX.match(page.md[i])
            md.append((marker.group() if marker else "") + escape_markdown(text))
        else:
            md.append(None)
    return dataclasses.replace(case, md=tuple(md))


def make_cases(page: Page, seed: int, donors: Sequence[tuple[str, str]]) -> list[Case]:
    """The controls and one copy per applicable edit kind, reproducible from the seed."""
    cases = [_with_md(page, Case(kind, page.paragraphs)) for kind in CONTROLS]
    foreign = [text for page_id, text in donors if page_id != page.id]
    for kind in EDIT_KINDS:
        case = EDITORS[kind](page.paragraphs, page_rng(seed, page.id, kind), foreign)
        if case is not None:
            cases.append(_with_md(page, case))
    return cases


def older_capture(page: Page, html: bytes, case: Case) -> bytes | None:
    """A capture older than the page that says what the edited local copy says."""
    if case.kind in ("number", "name", "negation") and case.target is not None:
        return with_local_text(
            html,
            page.paragraphs,
            case.kind,
            target=case.target,
            edited=case.paragraphs[case.target],
        )
    if case.kind == "deleted" and case.target is not None:
        return with_local_text(
            html,
            page.paragraphs,
            "deleted",
            target=case.target,
            donor=case.paragraphs[case.target],
        )
    if case.kind == "inserted" and case.insert_after is not None:
        return with_local_text(
            html, page.paragraphs, "inserted", target=None, removed_index=case.insert_after + 1
        )
    return None


def donor_paragraphs(pages: Sequence[Page]) -> list[tuple[str, str]]:
    return [(p.id, t) for p in pages for t in p.paragraphs if word_count(t) >= MIN_DONOR_WORDS]


# --- tools -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Found:
    """A finding reduced to what the scorer reads (picklable, tool-independent)."""

    kind: str
    substantive: bool
    local_block: int | None
    insert_after: int | None
    local_text: str
    remote_text: str
    detail: str = ""


class Tool:
    """Compares one local copy with one rendering of a page."""

    name = ""

    def prepare(self, page: Page) -> None:
        self.page = page

    def check(self, case: Case, html: bytes, url: str, key: str) -> tuple[list[Found], float]:
        """The findings and the seconds they took (``key`` names the rendering)."""
        raise NotImplementedError

    def timeline(
        self, case: Case, older: bytes, newer: bytes, url: str
    ) -> tuple[list[Found], list[tuple[str, ...]]]:
        """Findings against an older capture and the page; each with the captures showing it."""
        raise NotImplementedError


def _clean_lines(text: str) -> list[str]:
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def difflib_findings(local: Sequence[str], remote: Sequence[str]) -> list[Found]:
    """What a quick difflib tool reports: paragraph-level opcodes mapped to findings."""
    local = [" ".join(p.split()) for p in local]
    findings: list[Found] = []
    matcher = difflib.SequenceMatcher(None, local, remote, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        n, m = i2 - i1, j2 - j1
        if op == "equal":
            continue
        if op == "replace" and n <= 2 * m + 1 and m <= 2 * n + 1:
            # comparable sizes: the local paragraphs were edited, paired in order; the
            # last one takes whatever remote lines are left over
            for k in range(n):
                if k < n - 1:
                    text = remote[j1 + k] if k < m else ""
                else:
                    text = "\n".join(remote[j1 + k : j2])
                findings.append(Found("edited", True, i1 + k, None, local[i1 + k], text))
            continue
        # delete, insert, or a replace whose sides differ greatly in size
        findings += [Found("missing", True, i, None, local[i], "") for i in range(i1, i2)]
        if m:
            findings.append(Found("added", True, None, i1 - 1, "", "\n".join(remote[j1:j2])))
    return findings


class _Difflib(Tool):
    """A page's lines (extracted once per rendering) against the local paragraphs."""

    def prepare(self, page: Page) -> None:
        super().prepare(page)
        self._lines: dict[str, tuple[list[str], float]] = {}

    def lines(self, html: bytes) -> list[str]:
        raise NotImplementedError

    def _cached(self, html: bytes, key: str) -> tuple[list[str], float]:
        if key not in self._lines:
            start = time.perf_counter()
            lines = self.lines(html)
            self._lines[key] = (lines, time.perf_counter() - start)
        return self._lines[key]

    def check(self, case: Case, html: bytes, url: str, key: str) -> tuple[list[Found], float]:
        lines, seconds = self._cached(html, key)
        start = time.perf_counter()
        findings = difflib_findings(case.paragraphs, lines)
        # the page's text does not depend on the local copy: extracted once, but
        # charged to every check as if it ran each time
        return findings, time.perf_counter() - start + seconds

    def timeline(
        self, case: Case, older: bytes, newer: bytes, url: str
    ) -> tuple[list[Found], list[tuple[str, ...]]]:
        old = difflib_findings(case.paragraphs, self.lines(older))
        new, _ = self.check(case, newer, url, "control")
        # a finding of the page is also seen in the older capture when that capture shows
        # the same change (same kind, local and remote text), as snapverify merges them
        shown_before = {finding_key(f) for f in old}
        seen = [("older", "newer") if finding_key(f) in shown_before else ("newer",) for f in new]
        return new, seen


class Naive(_Difflib):
    """BeautifulSoup get_text lines as the page's blocks, difflib over paragraph lists."""

    name = "naive"

    def lines(self, html: bytes) -> list[str]:
        from bs4 import BeautifulSoup

        return _clean_lines(BeautifulSoup(html, "lxml").get_text("\n"))


class Trafilatura(_Difflib):
    """trafilatura's extracted text, one block per line, and the same difflib mapping."""

    name = "trafilatura"

    def lines(self, html: bytes) -> list[str]:
        import trafilatura

        text = trafilatura.extract(html, favor_precision=False, include_comments=False)
        return _clean_lines(text or "")


class Snapverify(Tool):
    """extract(html, reference=local copy), then compare_documents."""

    name = "snapverify"

    def prepare(self, page: Page) -> None:
        super().prepare(page)
        from snapverify.compare import compare_documents
        from snapverify.models import Source, SourceKind
        from snapverify.text.extract import extract
        from snapverify.text.markdown import read_markdown
        from snapverify.timestamps import parse_timestamp

        self._compare = compare_documents
        self._extract = extract
        self._read = read_markdown
        self._source = Source
        self._archive = SourceKind.ARCHIVE
        self._older_ts = parse_timestamp(OLDER)
        self._newer_ts = parse_timestamp(NEWER)
        self._local: dict[int, Any] = {}

    def read(self, case: Case) -> Any:
        key = id(case)
        if key not in self._local:
            page = self.page
            markdown = to_markdown(
                case.paragraphs,
                url=page.url,
                title=page.title,
                md=case.md,
                byline=page.byline,
                date=page.date,
            )
            self._local[key] = self._read(markdown, url=page.url)
        return self._local[key]

    @staticmethod
    def _found(findings: Any) -> list[Found]:
        return [
            Found(
                str(f.kind),
                bool(f.substantive),
                f.local_block,
                f.insert_after,
                f.local_text or "",
                f.remote_text or "",
                f.detail or "",
            )
            for f in findings
        ]

    def check(self, case: Case, html: bytes, url: str, key: str) -> tuple[list[Found], float]:
        local = self.read(case)  # reading the local copy is not timed
        start = time.perf_counter()
        doc = self._extract(html, url=url, reference=local)
        source = self._source(id="file:page", kind=self._archive, url=url)
        comparison = self._compare(local, [(source, doc)])
        return self._found(comparison.findings), time.perf_counter() - start

    def timeline(
        self, case: Case, older: bytes, newer: bytes, url: str
    ) -> tuple[list[Found], list[tuple[str, ...]]]:
        local = self.read(case)
        sources = []
        for name, html, ts in (("older", older, self._older_ts), ("newer", newer, self._newer_ts)):
            doc = self._extract(html, url=url, reference=local)
            source = self._source(id=name, kind=self._archive, url=url, timestamp=ts)
            sources.append((source, doc))
        comparison = self._compare(local, sources)
        # the captures that show each finding (its sources, oldest first)
        seen = [tuple(f.sources) for f in comparison.findings]
        return self._found(comparison.findings), seen


def make_tool(name: str) -> Tool:
    return {"snapverify": Snapverify, "naive": Naive, "trafilatura": Trafilatura}[name]()


# --- scoring -----------------------------------------------------------------------------


def counts(f: Found) -> bool:
    """A finding that counts: substantive and about the text (not a link, not metadata)."""
    return f.substantive and f.kind not in NOT_TEXT


def _norm(text: str) -> str:
    return " ".join(words(text))


def finding_key(f: Found) -> tuple[str, str, str]:
    return (f.kind, _norm(f.local_text), _norm(f.remote_text))


def coverage(part: str, whole: str) -> float:
    """Share of ``part``'s words (with multiplicity) that ``whole`` contains."""
    need = Counter(words(part))
    if not need:
        return 0.0
    have = Counter(words(whole))
    return sum((need & have).values()) / sum(need.values())


def answers(f: Found, case: Case, kind_must_match: bool = True) -> bool:
    expected = EXPECTED.get(case.kind)
    if expected is None:
        return False
    if kind_must_match and f.kind != expected:
        return False
    if expected == "added":
        assert case.removed is not None
        if coverage(case.removed, f.remote_text) < 0.8:
            return False
        return not kind_must_match or word_count(f.remote_text) <= 1.5 * word_count(case.removed)
    return f.local_block == case.target


def _short(text: str | None, limit: int = TEXT_LIMIT) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


@dataclass(slots=True)
class Outcome:
    """What one tool did with one local copy."""

    tool: str
    page: str
    kind: str
    seconds: float
    corpus: str = ""
    lang: str = ""
    found: bool = False  # the edit was reported with the right kind and extent
    detected: bool = False  # some finding touches the edited passage, whatever its kind
    true_positive: bool = False  # found by a substantive finding (counts for precision)
    false_positives: list[dict[str, Any]] = field(default_factory=list)
    substantive: int = 0  # substantive findings in total (control: raw count)
    kinds: dict[str, int] = field(default_factory=dict)
    note: str = ""
    target_text: str = ""
    nearby: list[dict[str, Any]] = field(default_factory=list)  # findings near a missed edit
    insert_after_ok: bool | None = None
    error: str = ""
    shadowed: bool = False  # the control already had a finding on the edited passage
    blocks_mismatch: bool = False  # the local copy was not read back as one block a paragraph
    first_seen_ok: bool | None = None  # timeline: the edit first seen in the page (None: n/a)
    first_seen: str = ""


def _finding_dict(f: Found) -> dict[str, Any]:
    return {
        "kind": f.kind,
        "local_block": f.local_block,
        "insert_after": f.insert_after,
        "local_text": _short(f.local_text),
        "remote_text": _short(f.remote_text),
        "detail": _short(f.detail, 160),
    }


def score(
    tool: str,
    page: Page,
    case: Case,
    findings: list[Found],
    control: set[tuple[str, str, str]],
    seconds: float,
) -> Outcome:
    out = Outcome(tool, page.id, case.kind, seconds, page.corpus, page.lang, note=case.note)
    substantive = [f for f in findings if counts(f)]
    out.substantive = len(substantive)
    out.kinds = dict(Counter(f.kind for f in substantive))
    if case.kind in CONTROLS:
        out.false_positives = [_finding_dict(f) for f in substantive]
        return out
    answer = next((f for f in findings if answers(f, case)), None)
    out.found = answer is not None
    out.true_positive = answer is not None and counts(answer)
    out.detected = out.found or any(answers(f, case, kind_must_match=False) for f in findings)
    if answer is not None and case.kind == "inserted":
        out.insert_after_ok = answer.insert_after == case.insert_after
    new = [f for f in substantive if f is not answer and finding_key(f) not in control]
    out.false_positives = [_finding_dict(f) for f in new]
    if case.target is not None:
        out.target_text = _short(case.paragraphs[case.target])
    elif case.removed is not None:
        out.target_text = _short(case.removed)
    if case.kind in ("number", "name", "negation") and case.target is not None:
        original: str | None = page.paragraphs[case.target]
    elif case.kind == "moved" and case.target is not None:
        original = case.paragraphs[case.target]
    else:
        original = case.removed
    if original is not None:
        out.shadowed = _norm(original) in {local_text for _, local_text, _ in control}
    if not out.found:
        anchor = case.target if case.target is not None else case.insert_after
        near = [
            f
            for f in findings
            if (counts(f) or f.kind == "moved")
            and finding_key(f) not in control
            and (anchor is None or f.local_block is None or abs(f.local_block - anchor) <= 1)
        ]
        out.nearby = [_finding_dict(f) for f in near[:4]]
    return out


# --- running -----------------------------------------------------------------------------

_STATE: dict[str, Any] = {}


def _init(seed: int, donors: list[tuple[str, str]], tools: tuple[str, ...]) -> None:
    _STATE.update(seed=seed, donors=donors, tools=tools)


def run_page(page: Page) -> list[Outcome]:
    """Every tool on every local copy of one page (runs in a worker process)."""
    seed: int = _STATE["seed"]
    cases = make_cases(page, seed, _STATE["donors"])
    html = page.html()
    renderings: dict[str, tuple[bytes, str]] = {"control": (html, page.url)}
    renderings["wayback"] = wayback_playback(html, page.url, page_rng(seed, page.id, "wayback"))
    renderings["cosmetic"] = (cosmetic(html, page_rng(seed, page.id, "cosmetic")), page.url)
    older = {c.kind: older_capture(page, html, c) for c in cases if c.kind in SEEDED}
    outcomes: list[Outcome] = []
    for name in _STATE["tools"]:
        tool = make_tool(name)
        try:
            tool.prepare(page)
        except Exception as exc:  # a crash is a result, not the end of the benchmark
            outcomes += [_crashed(name, page, c, exc) for c in cases]
            continue
        control: set[tuple[str, str, str]] = set()
        for case in cases:
            key = case.kind if case.kind in CONTROLS else "control"
            body, url = renderings[key]
            try:
                findings, seconds = tool.check(case, body, url, key)
            except Exception as exc:
                outcomes.append(_crashed(name, page, case, exc))
                continue
            mismatch = isinstance(tool, Snapverify) and len(tool.read(case).blocks) != len(
                case.paragraphs
            )
            if case.kind == "control":
                control = {finding_key(f) for f in findings if counts(f)}
            outcome = score(name, page, case, findings, control, seconds)
            outcome.blocks_mismatch = mismatch
            earlier = older.get(case.kind)
            if outcome.found and earlier is not None:
                try:
                    timeline, seen = tool.timeline(case, earlier, html, page.url)
                except Exception as exc:
                    outcome.error = f"timeline: {type(exc).__name__}: {_short(str(exc), 200)}"
                else:
                    # the findings that answer the edit in the edited capture (the page);
                    # one shown only by the older capture is not the edit, which that
                    # capture lacks, but a difference of its own on the same block
                    hits = [
                        s
                        for f, s in zip(timeline, seen, strict=True)
                        if counts(f) and answers(f, case) and "newer" in s
                    ]
                    outcome.first_seen = ";".join(",".join(s) for s in hits) or "not found"
                    outcome.first_seen_ok = bool(hits) and all(s == ("newer",) for s in hits)
            outcomes.append(outcome)
    return outcomes


def _crashed(tool: str, page: Page, case: Case, exc: BaseException) -> Outcome:
    out = Outcome(tool, page.id, case.kind, 0.0, page.corpus, page.lang, note=case.note)
    out.error = f"{type(exc).__name__}: {_short(str(exc), 200)}"
    out.substantive = 1 if case.kind in CONTROLS else 0
    return out


def run_all(
    pages: Sequence[Page],
    seed: int,
    workers: int,
    tools: tuple[str, ...],
    *,
    every_page: Sequence[Page] | None = None,
) -> Iterator[list[Outcome]]:
    """Outcomes page by page; inserted paragraphs come from ``every_page`` (all sets)."""
    donors = donor_paragraphs(load_pages("all") if every_page is None else every_page)
    if workers <= 1:
        _init(seed, donors, tools)
        yield from map(run_page, pages)
        return
    with multiprocessing.get_context("fork").Pool(workers, _init, (seed, donors, tools)) as pool:
        yield from pool.imap(run_page, pages, chunksize=1)


# --- report ------------------------------------------------------------------------------


def _ratio(num: int, den: int) -> str:
    return f"{num / den:.2f}" if den else "-"


def _row(label: str, mine: Sequence[Outcome], width: int) -> str:
    controls = [o for o in mine if o.kind in CONTROLS]
    clean = [o for o in controls if o.substantive == 0 and not o.error]
    by_control = []
    for kind in CONTROLS:
        group = [o for o in controls if o.kind == kind]
        by_control.append(_ratio(sum(1 for o in group if o in clean), len(group)))
    edits = [o for o in mine if o.kind in SEEDED]
    found = sum(o.found for o in edits)
    detected = sum(o.detected for o in edits)
    per_kind = []
    for kind in (*SEEDED, "moved"):
        group = [o for o in mine if o.kind == kind]
        per_kind.append(_ratio(sum(o.found for o in group), len(group)))
    edited_copies = [o for o in mine if o.kind not in CONTROLS]
    tp = sum(o.true_positive for o in edited_copies)
    fp = sum(len(o.false_positives) for o in edited_copies)
    sm = [o for o in mine if o.kind in ("split", "merge")]
    sm_fp = sum(1 for o in sm if o.false_positives)
    timed = [o for o in mine if o.first_seen_ok is not None]
    first = sum(1 for o in timed if o.first_seen_ok)
    checks = [o for o in mine if not o.error]
    seconds = sum(o.seconds for o in checks) / len(checks) if checks else 0.0
    pages = len({o.page for o in mine})
    return (
        f"{label:<{width}} {pages:>5} {_ratio(len(clean), len(controls)):>5}"
        + "".join(f" {r:>5}" for r in by_control)
        + f" {_ratio(found, len(edits)):>6} {_ratio(detected, len(edits)):>6}"
        + "".join(f" {r:>6}" for r in per_kind)
        + f" {_ratio(tp, tp + fp):>9} {f'{first}/{len(timed)}':>10} {f'{sm_fp}/{len(sm)}':>7}"
        f" {sum(1 for o in mine if o.error):>6} {seconds:>7.3f}"
    )


def _header(label: str, width: int) -> list[str]:
    header = (
        f"{label:<{width}} {'pages':>5} {'clean':>5}"
        + "".join(f" {k[:5]:>5}" for k in ("raw", "wayback", "cosmetic"))
        + f" {'recall':>6} {'detect':>6}"
        + "".join(f" {k[:6]:>6}" for k in (*SEEDED, "moved"))
        + f" {'precision':>9} {'first-seen':>10} {'spl/mrg':>7} {'errors':>6} {'s/chk':>7}"
    )
    return [header, "-" * len(header)]


def summarise(outcomes: Sequence[Outcome], tools: Sequence[str]) -> str:
    lines: list[str] = []
    sets = [c for c in CORPORA if any(o.corpus == c for o in outcomes)]
    width = 24
    for corpus in sets:
        lines.append(f"== {corpus}")
        lines += _header("tool", width)
        for tool in tools:
            mine = [o for o in outcomes if o.tool == tool and o.corpus == corpus]
            lines.append(_row(tool, mine, width))
        langs = sorted({o.lang for o in outcomes if o.corpus == corpus})
        if corpus == "curated" and len(langs) > 1:
            lines.append("")
            lines += _header("per language", width)
            for lang in langs:
                for tool in tools:
                    mine = [
                        o
                        for o in outcomes
                        if o.tool == tool and o.corpus == corpus and o.lang == lang
                    ]
                    lines.append(_row(f"{lang} {tool}", mine, width))
        lines.append("")
    counts = Counter(o.kind for o in outcomes if o.tool == tools[0])
    lines.append(
        "copies per kind: " + ", ".join(f"{k} {counts[k]}" for k in (*CONTROLS, *EDIT_KINDS))
    )
    for tool in tools:
        ins = [o for o in outcomes if o.tool == tool and o.insert_after_ok is not None]
        fps = sum(
            len(o.false_positives) for o in outcomes if o.tool == tool and o.kind not in CONTROLS
        )
        na = sum(
            1
            for o in outcomes
            if o.tool == tool and o.kind in SEEDED and o.found and o.first_seen_ok is None
        )
        lines.append(
            f"{tool}: inserted found with the right insert_after "
            f"{sum(1 for o in ins if o.insert_after_ok)}/{len(ins)}; "
            f"false positives on edited copies {fps}; "
            f"found edits without a timeline (the edit could not be placed in the markup) {na}"
        )
    mismatched = sorted({o.page for o in outcomes if o.blocks_mismatch})
    if mismatched:
        lines.append(
            f"warning: {len(mismatched)} page(s) whose local copy did not read back as one block "
            f"per paragraph (block indices may be off): {', '.join(mismatched[:10])}"
        )
    return "\n".join(lines)


def _round_robin(items: Sequence[Outcome], key: Callable[[Outcome], str]) -> list[Outcome]:
    groups: dict[str, list[Outcome]] = {}
    for item in items:
        groups.setdefault(key(item), []).append(item)
    ordered: list[Outcome] = []
    while any(groups.values()):
        for group in groups.values():
            if group:
                ordered.append(group.pop(0))
    return ordered


def details(outcomes: Sequence[Outcome], tool: str, limit: int) -> str:
    mine = [o for o in outcomes if o.tool == tool]
    lines: list[str] = []
    errors = [o for o in mine if o.error]
    if errors:
        lines.append(f"== {tool}: errors ({len(errors)})")
        for o in errors[:limit]:
            lines.append(f"  {o.page} [{o.kind}] {o.error}")
    misses = [o for o in mine if EXPECTED.get(o.kind) and not o.found and not o.error]
    shadowed = sum(1 for o in misses if o.shadowed)
    lines.append(
        f"== {tool}: missed edits ({len(misses)}, {shadowed} on a passage the control already "
        f"flagged; showing {min(limit, len(misses))})"
    )
    for o in _round_robin(misses, lambda o: o.kind)[:limit]:
        shadow = " (the control already had a finding on this passage)" if o.shadowed else ""
        lines.append(f"- {o.page} [{o.kind}] {o.note}; expected {EXPECTED[o.kind]}{shadow}")
        lines.append(f"    edited passage: {o.target_text}")
        if not o.nearby:
            lines.append("    no finding near it")
        for f in o.nearby:
            lines.append(
                f"    got {f['kind']} block={f['local_block']} after={f['insert_after']}:"
                f" local={f['local_text'][:200]!r} remote={f['remote_text'][:200]!r}"
            )
            if f["detail"]:
                lines.append(f"      detail: {f['detail']}")
    late = [o for o in mine if o.first_seen_ok is False]
    lines.append(f"== {tool}: found edits not first seen in the edited capture ({len(late)})")
    for o in late[:limit]:
        lines.append(f"- {o.page} [{o.kind}] {o.note}: seen in {o.first_seen}")
    fp_cases = [o for o in mine if o.kind not in CONTROLS and o.false_positives]
    total = sum(len(o.false_positives) for o in fp_cases)
    lines.append(f"== {tool}: false positives on edited copies ({total} in {len(fp_cases)} copies)")
    for o in _round_robin(fp_cases, lambda o: o.kind)[:limit]:
        f = o.false_positives[0]
        more = f" (+{len(o.false_positives) - 1} more)" if len(o.false_positives) > 1 else ""
        lines.append(f"- {o.page} [{o.kind}] {o.note}: {f['kind']} block={f['local_block']}{more}")
        lines.append(f"    local:  {f['local_text'][:300]!r}")
        lines.append(f"    remote: {f['remote_text'][:300]!r}")
        if f["detail"]:
            lines.append(f"    detail: {f['detail']}")
    dirty = [o for o in mine if o.kind in CONTROLS and o.substantive and not o.error]
    by_kind = Counter(k for o in dirty for k, n in o.kinds.items() for _ in range(n))
    lines.append(
        f"== {tool}: controls with substantive findings ({len(dirty)}; findings by kind: "
        + ", ".join(f"{k} {n}" for k, n in by_kind.most_common())
        + ")"
    )
    for o in sorted(dirty, key=lambda o: (o.page, o.kind))[:limit]:
        lines.append(f"- {o.page} [{o.kind}, {o.lang}]: {o.substantive} findings {o.kinds}")
        for f in o.false_positives[:4]:
            lines.append(
                f"    {f['kind']} block={f['local_block']}: local={f['local_text'][:200]!r}"
                f" remote={f['remote_text'][:200]!r}"
            )
            if f["detail"]:
                lines.append(f"      detail: {f['detail']}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=None, help="only the first N pages")
    parser.add_argument("--seed", type=int, default=1, help="seed of the edits (default 1)")
    parser.add_argument(
        "--set",
        "--corpus",
        dest="corpus",
        default="all",
        help="all, or a comma-separated list of aeb, curated, readability (default all)",
    )
    parser.add_argument("--workers", type=int, default=2, help="processes (default 2)")
    parser.add_argument("--tools", default=",".join(TOOLS), help="comma-separated subset")
    parser.add_argument("--details", action="store_true", help="list misses and false positives")
    parser.add_argument("--details-tool", default="snapverify", help="whose details to list")
    parser.add_argument("--max-details", type=int, default=15, help="items per details list")
    parser.add_argument("--json", type=Path, help="write every outcome to this JSON file")
    args = parser.parse_args(argv)

    tools = tuple(t.strip() for t in args.tools.split(",") if t.strip())
    unknown = [t for t in tools if t not in TOOLS]
    if unknown:
        parser.error(f"unknown tool(s): {', '.join(unknown)}")
    if "snapverify" in tools:
        try:
            from snapverify.compare import compare_documents  # noqa: F401
            from snapverify.text.extract import extract  # noqa: F401
            from snapverify.text.markdown import read_markdown  # noqa: F401
        except ImportError as exc:
            sys.exit(f"snapverify's core API is not importable: {exc}")

    every_page = load_pages("all")  # the donors of inserted paragraphs, whatever the set
    try:
        pages = every_page if args.corpus == "all" else load_pages(args.corpus)
    except ValueError as exc:
        parser.error(str(exc))
    if args.limit is not None:
        pages = pages[: args.limit]
    if not pages:
        sys.exit(f"no pages to measure in set {args.corpus!r} (is the real-data folder there?)")
    started = time.perf_counter()
    outcomes: list[Outcome] = []
    for done, result in enumerate(
        run_all(pages, args.seed, args.workers, tools, every_page=every_page), 1
    ):
        outcomes += result
        if sys.stderr.isatty():
            print(f"\r{done}/{len(pages)} pages", end="", file=sys.stderr, flush=True)
    if sys.stderr.isatty():
        print(file=sys.stderr)
    elapsed = time.perf_counter() - started

    print(summarise(outcomes, tools))
    print(f"seed {args.seed}, {len(pages)} pages, {args.workers} workers, {elapsed:.1f} s wall")
    if args.details:
        print()
        print(details(outcomes, args.details_tool, args.max_details))
    if args.json:
        args.json.write_text(
            json.dumps([asdict(o) for o in outcomes], ensure_ascii=False, indent=1)
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
