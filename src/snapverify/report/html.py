"""The HTML report: one self-contained, safe page to read a check (``--format html``).

The page is made by jinja2 templates (``report/templates/``) with autoescape on:
every string (page text, titles, URLs, server messages) is data, escaped where
it is written, never a template; ``{{ 7*7 }}`` in a page stays ``{{ 7*7 }}``.
Only http(s) URLs become links (:func:`safe_url`); ``javascript:``, ``data:``
and their odd-case and whitespace variants are shown as text. The page loads
nothing: CSS and the timeline's SVG are inline, a ``Content-Security-Policy``
meta (``default-src 'none'; style-src 'unsafe-inline'; img-src data:``) forbids
anything else, ``referrer`` is ``no-referrer``, and there is no JavaScript.

This module turns results into plain view values (strings, numbers, lists);
the templates lay them out.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from urllib.parse import quote, urlsplit

import jinja2

from snapverify._version import __version__
from snapverify.models import CheckResult, Finding, FindingKind, LinkCheck, Source
from snapverify.report import (
    clean_text,
    describe_location,
    format_similarity,
    format_time,
    split_findings,
    timeline,
    verdict_summary,
)

__all__ = ["CSP", "playback_url", "render_html", "safe_url"]

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
"""The Content-Security-Policy the page declares (RELIABILITY.md D.30)."""

_LINK_KINDS = (FindingKind.LINK_ROT, FindingKind.DEAD_LINK, FindingKind.LOST_LINK_TARGET)
# A Wayback raw-playback modifier after the timestamp: /web/20120527183000id_/http://...
_RAW_PLAYBACK = re.compile(r"/([0-9]{4,14})id_/")
_URL_SAFE = ":/?#[]@!$&'*+,;=%~-._"

# Timeline geometry (SVG user units). Marks get closer as sources get many (a check
# against the Wayback Machine may list hundreds); then date labels turn.
_STEPS = ((12, 96), (40, 56))  # up to N sources: step; more: _DENSE_STEP
_DENSE_STEP = 36
_LEFT = 56
_TOP = 60  # room above the 1.0 line for two rows of "first appeared" labels
_LABEL_ROWS = (_TOP - 44, _TOP - 28)
_CHAR_WIDTH = 7.5  # of a bold 12px label, to keep labels of near marks apart
_PLOT = 120  # height of the 0..1 similarity scale
_BOTTOM = 64
_BOTTOM_TURNED = 96
_MAX_FIRSTS_SHOWN = 3
_MAX_LISTED_SOURCES = 10


def safe_url(url: str | None) -> str | None:
    """The URL to put in an ``href``, or ``None`` when it must not become a link.

    Args:
        url: a URL from a page, a server or a report.

    Returns:
        The cleaned URL (control characters removed, spaces and characters that
        do not belong in a URL percent-encoded) when its scheme is http or https
        and it names a host; ``None`` otherwise (``javascript:``, ``data:``,
        ``file:``, relative references, odd-case or whitespace variants).
    """
    if not url:
        return None
    cleaned = clean_text(url)
    try:
        parts = urlsplit(cleaned)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return quote(cleaned, safe=_URL_SAFE)


def playback_url(url: str) -> str:
    """The human playback URL of a capture URL: a Wayback ``id_`` URL without ``id_``.

    ``https://web.archive.org/web/20120527183000id_/http://a.b/`` becomes
    ``https://web.archive.org/web/20120527183000/http://a.b/`` (the page with the
    archive's banner, as people read it); other URLs are returned as they are.
    """
    return _RAW_PLAYBACK.sub(r"/\1/", url, count=1)


def render_html(results: Sequence[CheckResult]) -> str:
    """Render check results as one self-contained HTML page.

    Args:
        results: the outcomes of checking one or more snapshots.

    Returns:
        The HTML document, ending with a newline.
    """
    reports = [_report(result, number) for number, result in enumerate(results, start=1)]
    if len(reports) == 1:
        title = f"snapverify: {reports[0].title} ({reports[0].verdict})"
    else:
        title = f"snapverify: {len(reports)} snapshots"
    page = _template().render(title=title, reports=reports, csp=CSP, version=__version__)
    return page.rstrip("\n") + "\n"


@cache
def _template() -> jinja2.Template:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("snapverify.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.get_template("report.html.j2")


# -- view values ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Link:
    """Text that is a link when ``href`` is set, inert text otherwise."""

    text: str
    href: str | None


@dataclass(frozen=True, slots=True)
class _Piece:
    op: str  # equal, delete, insert
    text: str


@dataclass(frozen=True, slots=True)
class _Side:
    label: str
    pieces: tuple[_Piece, ...] = ()
    empty: str | None = None  # why there is no passage on this side
    whole: bool = False  # the whole passage is deleted or inserted


@dataclass(frozen=True, slots=True)
class _FindingView:
    anchor: str
    number: int
    kind: str
    substantive: bool
    location: str
    detail: str
    sides: tuple[_Side, ...]
    facts: tuple[tuple[str, _Link], ...]
    sources: tuple[_Link, ...]
    more_sources: int
    first_seen: str | None
    last_seen: str | None
    change: str | None
    acknowledged: bool
    ack_note: str | None


@dataclass(frozen=True, slots=True)
class _Mark:
    x: float
    y: float
    label: str
    date: str
    similarity: str
    outcome: str
    compared: bool
    link: _Link
    tip: str
    value: str | None  # the label above the mark: similarity or outcome, if room
    firsts: tuple[int, ...] = ()
    first_label: str = ""
    first_y: int = 0
    reference: bool = False


@dataclass(frozen=True, slots=True)
class _Timeline:
    width: int
    height: int
    top: int
    bottom: int
    left: int
    right: int
    marks: tuple[_Mark, ...]
    path: str
    turned: bool  # date labels at an angle (many sources)


@dataclass(frozen=True, slots=True)
class _SourceRow:
    time: str
    link: _Link
    kind: str
    outcome: str
    similarity: str
    note: str
    firsts: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class _LinkRow:
    kind: str
    text: str
    url: _Link
    status: str
    outcome: str
    archived: _Link | None
    detail: str


@dataclass(slots=True)
class _Report:
    anchor: str
    title: str
    url: _Link
    path: str
    sha256: str
    verdict: str
    summary: str
    exit_code: int
    provenance: str
    counts: list[tuple[str, int, int]]
    checked_at: str | None
    command: str | None
    notes: list[str]
    error: str | None
    timeline: _Timeline | None
    sources: list[_SourceRow]
    findings: list[_FindingView]
    cosmetic: list[_FindingView]
    resolved: list[_FindingView]
    link_findings: list[_LinkRow]
    links: list[_LinkRow]
    legend: bool = field(default=False)


def _report(result: CheckResult, number: int) -> _Report:
    snapshot = result.snapshot
    substantive, cosmetic = split_findings(result.findings)
    by_id = {source.id: source for source in result.sources}
    ordered = timeline(result.sources)
    text_findings = [f for f in substantive if f.kind not in _LINK_KINDS]
    numbered = {id(f): n for n, f in enumerate(text_findings, start=1)}
    firsts = _first_appearances(ordered, text_findings, numbered)
    prefix = f"s{number}-"
    findings = [_finding(f, numbered[id(f)], by_id, prefix) for f in text_findings]
    offset = len(findings)
    cosmetic_views = [
        _finding(f, offset + n, by_id, prefix)
        for n, f in enumerate((f for f in cosmetic if f.kind not in _LINK_KINDS), start=1)
    ]
    offset += len(cosmetic_views)
    resolved = [
        _finding(f, offset + n, by_id, prefix, change="resolved")
        for n, f in enumerate(result.resolved, start=1)
    ]
    if result.provenance is None:
        provenance = "none of the sources"
    else:
        provenance = (
            f"{clean_text(result.provenance.source)} "
            f"(similarity {format_similarity(result.provenance.similarity)})"
        )
    return _Report(
        anchor=f"snapshot-{number}",
        title=clean_text(snapshot.title or snapshot.path) or "(untitled)",
        url=_link(snapshot.url),
        path=clean_text(snapshot.path),
        sha256=clean_text(snapshot.sha256),
        verdict=str(result.verdict),
        summary=verdict_summary(result.verdict, len(substantive), len(cosmetic)),
        exit_code=result.exit_code,
        provenance=provenance,
        counts=_counts(result.findings),
        checked_at=format_time(result.checked_at) if result.checked_at else None,
        command=clean_text(result.command) if result.command else None,
        notes=[clean_text(note) for note in result.notes],
        error=clean_text(result.error) if result.error else None,
        timeline=_timeline(ordered, result, firsts) if ordered else None,
        sources=[_source_row(s, firsts.get(s.id, ())) for s in ordered],
        findings=findings,
        cosmetic=cosmetic_views,
        resolved=resolved,
        link_findings=[_link_finding(f) for f in result.findings if f.kind in _LINK_KINDS],
        links=[_link_row(link) for link in result.links],
        legend=any(view.kind in ("edited", "metadata") for view in [*findings, *cosmetic_views]),
    )


def _link(url: str | None, text: str | None = None, *, playback: bool = False) -> _Link:
    shown = clean_text(text if text is not None else url or "")
    href = safe_url(playback_url(url) if playback and url else url)
    return _Link(shown, href)


def _counts(findings: Iterable[Finding]) -> list[tuple[str, int, int]]:
    """(kind, substantive, all) per kind present, in the order of FindingKind."""
    total: Counter[str] = Counter()
    substantive: Counter[str] = Counter()
    for finding in findings:
        total[str(finding.kind)] += 1
        substantive[str(finding.kind)] += finding.substantive
    return [(str(k), substantive[str(k)], total[str(k)]) for k in FindingKind if total[str(k)]]


def _first_appearances(
    ordered: Sequence[Source], findings: Sequence[Finding], numbers: dict[int, int]
) -> dict[str, tuple[int, ...]]:
    """Source id -> the numbers of the substantive findings that first appear there."""
    out: dict[str, list[int]] = {}
    for finding in findings:
        shown = set(finding.sources)
        candidates = [s for s in ordered if s.id in shown]
        if finding.first_seen is not None:
            at = [s for s in candidates if s.timestamp == finding.first_seen]
            candidates = at or candidates
        if candidates:
            out.setdefault(candidates[0].id, []).append(numbers[id(finding)])
    return {key: tuple(value) for key, value in out.items()}


def _timeline(
    ordered: Sequence[Source], result: CheckResult, firsts: dict[str, tuple[int, ...]]
) -> _Timeline:
    def y(similarity: float | None) -> float:
        value = 0.0 if similarity is None else max(0.0, min(1.0, similarity))
        return round(_TOP + (1 - value) * _PLOT, 1)

    step = next((step for most, step in _STEPS if len(ordered) <= most), _DENSE_STEP)
    turned = step < _STEPS[0][1]
    provenance = result.provenance.source if result.provenance else None
    marks = [
        _Mark(
            x=_LEFT,
            y=y(1.0),
            label="local copy",
            date="local copy" if turned else "reference",
            similarity="1.00",
            outcome="the local copy",
            compared=True,
            link=_Link("local copy", None),
            tip=f"local copy {clean_text(result.snapshot.path)}"
            + (f"; closest source {clean_text(provenance)}" if provenance else ""),
            value="1.00",
            reference=True,
        )
    ]
    for index, source in enumerate(ordered, start=1):
        compared = source.similarity is not None
        label = clean_text(source.id.partition(":")[0] if source.timestamp else source.id)[:14]
        date = format_time(source.timestamp)[:10] if source.timestamp else "no date"
        shown = firsts.get(source.id, ())
        similarity = format_similarity(source.similarity)
        value: str | None = similarity if compared else str(source.outcome).replace("_", " ")
        if step == _DENSE_STEP or (turned and not compared):
            value = None  # no room: the tooltip and the table below say it
        first_label = ""
        if shown:
            first_label = "▲ " + " ".join(f"#{n}" for n in shown[:_MAX_FIRSTS_SHOWN])
            if len(shown) > _MAX_FIRSTS_SHOWN:
                first_label += f" +{len(shown) - _MAX_FIRSTS_SHOWN}"
        marks.append(
            _Mark(
                x=_LEFT + index * step,
                y=y(source.similarity) if compared else _TOP + _PLOT,
                label=label,
                date=f"{date} {label}" if turned else date,
                similarity=similarity,
                outcome=str(source.outcome),
                compared=compared,
                link=_link(source.url, source.id, playback=True),
                tip=f"{clean_text(source.id)}: {source.outcome}, similarity {similarity}"
                + (f"; first shows {first_label[2:]}" if first_label else ""),
                value=value,
                firsts=shown,
                first_label=first_label,
            )
        )
    marks = _place_first_labels(marks)
    path = " ".join(
        f"{'M' if n == 0 else 'L'}{mark.x} {mark.y}"
        for n, mark in enumerate(m for m in marks if m.compared)
    )
    width = max(_LEFT + len(ordered) * step + _LEFT, 480)
    return _Timeline(
        width=width,
        height=_TOP + _PLOT + (_BOTTOM_TURNED if turned else _BOTTOM),
        top=_TOP,
        bottom=_TOP + _PLOT,
        left=_LEFT - 24,
        right=width - 16,
        marks=tuple(marks),
        path=path,
        turned=turned,
    )


def _place_first_labels(marks: list[_Mark]) -> list[_Mark]:
    """Put each "first appeared" label on the first row where it does not overlap."""
    ends = [float("-inf")] * len(_LABEL_ROWS)
    placed = []
    for mark in marks:
        if mark.first_label:
            half = len(mark.first_label) * _CHAR_WIDTH / 2
            row = next((n for n, end in enumerate(ends) if end < mark.x - half), 0)
            ends[row] = mark.x + half + 4
            mark = dataclasses.replace(mark, first_y=_LABEL_ROWS[row])
        placed.append(mark)
    return placed


def _source_row(source: Source, firsts: tuple[int, ...]) -> _SourceRow:
    outcome = str(source.outcome)
    if source.status is not None and source.status != 200:
        outcome += f" ({source.status})"
    return _SourceRow(
        time=format_time(source.timestamp),
        link=_link(source.url, source.id, playback=True),
        kind=str(source.kind),
        outcome=outcome,
        similarity=format_similarity(source.similarity),
        note=clean_text(source.note or ""),
        firsts=firsts,
    )


def _finding(
    finding: Finding,
    number: int,
    by_id: dict[str, Source],
    prefix: str,
    *,
    change: str | None = None,
) -> _FindingView:
    def source_link(source_id: str) -> _Link:
        source = by_id.get(source_id)
        if source is None:
            return _Link(clean_text(source_id), None)
        return _link(source.url, source_id, playback=True)

    first = last = None
    if finding.first_seen is not None:
        first = format_time(finding.first_seen)
    if finding.last_seen is not None:
        last = format_time(finding.last_seen)
    facts: list[tuple[str, _Link]] = []
    if finding.field:
        facts.append(("field", _Link(clean_text(finding.field), None)))
    return _FindingView(
        anchor=f"{prefix}f{number}",
        number=number,
        kind=str(finding.kind),
        substantive=finding.substantive,
        location=describe_location(finding),
        detail=clean_text(finding.detail),
        sides=_sides(finding),
        facts=tuple(facts),
        sources=tuple(
            source_link(source_id) for source_id in finding.sources[:_MAX_LISTED_SOURCES]
        ),
        more_sources=max(0, len(finding.sources) - _MAX_LISTED_SOURCES),
        first_seen=first,
        last_seen=last,
        change=change or (str(finding.change) if finding.change else None),
        acknowledged=finding.acknowledged,
        ack_note=clean_text(finding.ack_note) if finding.ack_note else None,
    )


def _sides(finding: Finding) -> tuple[_Side, ...]:
    """The local passage and the source's, side by side, with the word changes marked."""
    local, remote = "Local copy", "Source"
    if finding.diff and finding.kind in (FindingKind.EDITED, FindingKind.METADATA):
        left = [_Piece(op, clean_text(t)) for op, t in finding.diff if op != "insert"]
        right = [_Piece(op, clean_text(t)) for op, t in finding.diff if op != "delete"]
        return (_Side(local, tuple(left)), _Side(remote, tuple(right)))
    left_text = clean_text(finding.local_text or "")
    right_text = clean_text(finding.remote_text or "")
    if finding.kind is FindingKind.MISSING:
        return (
            _Side(local, (_Piece("delete", left_text),), whole=True),
            _Side(remote, empty="not in the source"),
        )
    if finding.kind is FindingKind.ADDED:
        return (
            _Side(local, empty="not in the local copy"),
            _Side(remote, (_Piece("insert", right_text),), whole=True),
        )
    sides = []
    if left_text:
        sides.append(_Side(local, (_Piece("equal", left_text),)))
    if right_text:
        sides.append(_Side(remote, (_Piece("equal", right_text),)))
    return tuple(sides)


def _link_finding(finding: Finding) -> _LinkRow:
    return _LinkRow(
        kind=str(finding.kind),
        text=clean_text(finding.text or finding.local_text or ""),
        url=_link(finding.url),
        status="" if finding.status is None else str(finding.status),
        outcome="" if finding.outcome is None else str(finding.outcome),
        archived=_link(finding.archive_url, playback=True) if finding.archive_url else None,
        detail=clean_text(finding.detail),
    )


def _link_row(link: LinkCheck) -> _LinkRow:
    archived = None
    if link.archive_url:
        when = format_time(link.archive_timestamp) if link.archive_timestamp else None
        archived = _link(link.archive_url, when or link.archive_url, playback=True)
    detail = clean_text(link.detail or "")
    if link.lost:
        detail = "target lost in the local copy" + (f"; {detail}" if detail else "")
    return _LinkRow(
        kind="lost target" if link.lost else "link",
        text=clean_text(link.text),
        url=_link(link.url) if link.url else _Link("(unknown)", None),
        status="" if link.status is None else str(link.status),
        outcome=str(link.outcome),
        archived=archived,
        detail=detail,
    )
