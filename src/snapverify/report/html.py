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

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache

import jinja2

from snapverify._version import __version__
from snapverify.models import CheckResult, Finding, FindingKind, LinkCheck, Source
from snapverify.report import (
    clean_text,
    describe_location,
    findings_summary,
    format_similarity,
    format_time,
    safe_url,
    source_outcome,
    split_findings,
    timeline,
)
from snapverify.report._html_links import Link, link, playback_url
from snapverify.report._html_timeline import Timeline, build_timeline, first_appearances

__all__ = ["CSP", "playback_url", "render_html", "safe_url"]

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
"""The Content-Security-Policy the page declares (RELIABILITY.md D.30)."""


_MAX_LISTED_SOURCES = 10


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
class _Time:
    """A UTC time for people (``text``) and for machines (``iso``, a ``datetime`` value)."""

    text: str
    iso: str


def _time(value: datetime | None) -> _Time | None:
    if value is None:
        return None
    utc = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return _Time(format_time(utc), utc.strftime("%Y-%m-%dT%H:%M:%SZ"))


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
    field: str | None  # the metadata field changed
    sources: tuple[Link, ...]
    more_sources: int
    first_seen: _Time | None
    last_seen: _Time | None
    change: str | None
    acknowledged: bool
    ack_note: str | None


@dataclass(frozen=True, slots=True)
class _SourceRow:
    time: str
    link: Link
    kind: str
    outcome: str
    similarity: str
    note: str
    firsts: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class _LinkRow:
    kind: str
    text: str
    url: Link
    status: str
    outcome: str
    archived: Link | None
    detail: str


@dataclass(slots=True)
class _Report:
    anchor: str
    title: str
    url: Link
    path: str
    sha256: str
    verdict: str
    summary: str
    exit_code: int
    provenance: str
    counts: list[tuple[str, int, int]]
    checked_at: _Time | None
    command: str | None
    store: str | None  # the .snapverify/ folder the check used
    version: str  # the snapverify that checked
    notes: list[str]
    error: str | None
    timeline: Timeline | None
    sources: list[_SourceRow]
    findings: list[_FindingView]
    cosmetic: list[_FindingView]
    disagreements: list[_FindingView]
    resolved: list[_FindingView]
    link_findings: list[_LinkRow]
    links: list[_LinkRow]
    legend: bool


def _report(result: CheckResult, number: int) -> _Report:
    snapshot = result.snapshot
    substantive, cosmetic = split_findings(result.findings)
    by_id = {source.id: source for source in result.sources}
    ordered = timeline(result.sources)
    text_findings = [f for f in substantive if not f.kind.is_link]
    firsts = first_appearances(ordered, text_findings)
    anchor = f"snapshot-{number}"
    prefix = f"{anchor}-"  # the sources table links to {anchor}-f{n}
    findings = [_finding(f, n, by_id, prefix) for n, f in enumerate(text_findings, start=1)]
    offset = len(findings)
    disagree = FindingKind.ARCHIVE_DISAGREEMENT
    cosmetic_views = [
        _finding(f, offset + n, by_id, prefix)
        for n, f in enumerate(
            (f for f in cosmetic if not f.kind.is_link and f.kind is not disagree), start=1
        )
    ]
    offset += len(cosmetic_views)
    disagreements = [
        _finding(f, offset + n, by_id, prefix)
        for n, f in enumerate((f for f in cosmetic if f.kind is disagree), start=1)
    ]
    offset += len(disagreements)
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
        anchor=anchor,
        title=clean_text(snapshot.title or snapshot.path) or "(untitled)",
        url=link(snapshot.url),
        path=clean_text(snapshot.path),
        sha256=clean_text(snapshot.sha256),
        verdict=str(result.verdict),
        summary=findings_summary(result.verdict, result.findings),
        exit_code=result.exit_code,
        provenance=provenance,
        counts=_counts(result.findings),
        checked_at=_time(result.checked_at),
        command=clean_text(result.command) if result.command else None,
        store=clean_text(result.store) if result.store else None,
        version=clean_text(result.version or __version__),
        notes=[clean_text(note) for note in result.notes],
        error=clean_text(result.error) if result.error else None,
        timeline=build_timeline(ordered, result, firsts) if ordered else None,
        sources=[_source_row(s, firsts.get(s.id, ())) for s in ordered],
        findings=findings,
        cosmetic=cosmetic_views,
        disagreements=disagreements,
        resolved=resolved,
        link_findings=[_link_finding(f) for f in result.findings if f.kind.is_link],
        links=[_link_row(row) for row in result.links],
        legend=any(view.kind in ("edited", "metadata") for view in [*findings, *cosmetic_views]),
    )


def _counts(findings: Iterable[Finding]) -> list[tuple[str, int, int]]:
    """(kind, substantive, all) per kind present, in the order of FindingKind."""
    total: Counter[str] = Counter()
    substantive: Counter[str] = Counter()
    for finding in findings:
        total[str(finding.kind)] += 1
        substantive[str(finding.kind)] += finding.substantive
    return [(str(k), substantive[str(k)], total[str(k)]) for k in FindingKind if total[str(k)]]


def _source_row(source: Source, firsts: tuple[int, ...]) -> _SourceRow:
    return _SourceRow(
        time=format_time(source.timestamp),
        link=link(source.url, source.id, playback=True),
        kind=str(source.kind),
        outcome=source_outcome(source),
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
    def sourcelink(source_id: str) -> Link:
        source = by_id.get(source_id)
        if source is None:
            return Link(clean_text(source_id), None)
        return link(source.url, source_id, playback=True)

    return _FindingView(
        anchor=f"{prefix}f{number}",
        number=number,
        kind=str(finding.kind),
        substantive=finding.substantive,
        location=describe_location(finding),
        detail=clean_text(finding.detail),
        sides=_sides(finding),
        field=clean_text(finding.field) if finding.field else None,
        sources=tuple(sourcelink(source_id) for source_id in finding.sources[:_MAX_LISTED_SOURCES]),
        more_sources=max(0, len(finding.sources) - _MAX_LISTED_SOURCES),
        first_seen=_time(finding.first_seen),
        last_seen=_time(finding.last_seen),
        change=change or (str(finding.change) if finding.change else None),
        acknowledged=finding.acknowledged,
        ack_note=clean_text(finding.ack_note) if finding.ack_note else None,
    )


def _sides(finding: Finding) -> tuple[_Side, ...]:
    """The local passage and the source's, side by side, with the word changes marked."""
    local, remote = "Local copy", "Source"
    disagreement = finding.kind is FindingKind.ARCHIVE_DISAGREEMENT
    names = (finding.field or "").split(" / ")
    if disagreement and len(names) == 2:  # one archive's copy beside the other's
        local, remote = (clean_text(name) for name in names)
    if finding.diff and (
        disagreement or finding.kind in (FindingKind.EDITED, FindingKind.METADATA)
    ):
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
        url=link(finding.url),
        status="" if finding.status is None else str(finding.status),
        outcome="" if finding.outcome is None else str(finding.outcome),
        archived=link(finding.archive_url, playback=True) if finding.archive_url else None,
        detail=clean_text(finding.detail),
    )


def _link_row(row: LinkCheck) -> _LinkRow:
    archived = None
    if row.archive_url:
        when = format_time(row.archive_timestamp) if row.archive_timestamp else None
        archived = link(row.archive_url, when or row.archive_url, playback=True)
    detail = clean_text(row.detail or "")
    if row.lost:
        detail = "target lost in the local copy" + (f"; {detail}" if detail else "")
    return _LinkRow(
        kind="lost target" if row.lost else "link",
        text=clean_text(row.text),
        url=link(row.url) if row.url else Link("(unknown)", None),
        status="" if row.status is None else str(row.status),
        outcome=str(row.outcome),
        archived=archived,
        detail=detail,
    )
