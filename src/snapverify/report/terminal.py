"""The terminal report: what a person reads after ``snapverify compare`` or ``check``.

Rendered with rich into a string. Everything is built from :class:`rich.text.Text`
objects on a console with markup and emoji off, so text from a page (``[bold]``,
``:smile:``) is printed as it is, never interpreted. The word diff marks deletions
``[-old-]`` and insertions ``{+new+}`` so it reads without colour too.
"""

from __future__ import annotations

from collections.abc import Sequence
from io import StringIO

from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.rule import Rule
from rich.text import Text

from snapverify.models import CheckResult, Finding, FindingKind, LinkCheck, Source, Verdict
from snapverify.report import (
    clean_text,
    describe_location,
    diff_segments,
    findings_summary,
    format_similarity,
    format_time,
    source_outcome,
    split_findings,
    timeline,
    truncate,
)

__all__ = ["render_terminal"]

_VERDICT_STYLE = {
    Verdict.UNCHANGED: "bold green",
    Verdict.CHANGED: "bold red",
    Verdict.UNVERIFIABLE: "bold yellow",
}
_DELETE_STYLE = "bold red"
_INSERT_STYLE = "bold green"
_INDENT = 5
_MAX_LISTED_SOURCES = 4
# The console width when nothing wraps: wider than any line a report holds (passages
# are cut at PASSAGE_LIMIT), so rich never breaks one; rules are drawn narrower.
_UNWRAPPED = 1 << 20
_RULE_WIDTH = 80


def render_terminal(
    results: Sequence[CheckResult], *, color: bool, width: int | None = None
) -> str:
    """Render check results for a terminal.

    Args:
        results: the outcomes of checking one or more snapshots.
        color: emit ANSI colours and styles; ``False`` gives plain text.
        width: wrap lines at this many columns (a terminal's width); ``None``
            never wraps, so a file, a pipe or cron's mail gets each line whole
            (a long URL stays one line that can be copied).

    Returns:
        The report, ending with a newline.
    """
    buffer = StringIO()
    console = Console(
        file=buffer,
        force_terminal=color,
        no_color=not color,
        color_system="standard" if color else None,
        width=_UNWRAPPED if width is None else width,
        markup=False,
        emoji=False,
        highlight=False,
    )
    for index, result in enumerate(results):
        if index:
            console.print(Rule(style="dim"), width=min(console.width, _RULE_WIDTH))
        console.print(_snapshot(result))
    text = buffer.getvalue()
    if not color or width is None:
        # rich pads lines to the width with spaces; nothing needs to keep them.
        text = "\n".join(line.rstrip() for line in text.split("\n"))
    return text


def _snapshot(result: CheckResult) -> RenderableType:
    substantive, cosmetic = split_findings(result.findings)
    parts: list[RenderableType] = []

    verdict = Text()
    verdict.append(str(result.verdict).upper(), style=_VERDICT_STYLE[result.verdict])
    verdict.append(
        f": {findings_summary(result.verdict, result.findings)} (exit {result.exit_code})"
    )
    parts.append(verdict)

    snapshot = result.snapshot
    parts.append(_field("snapshot", snapshot.path))
    parts.append(_field("url", snapshot.url))
    if snapshot.title is not None:
        parts.append(_field("title", snapshot.title))
    if result.store:
        parts.append(_field("store", result.store))
    if result.provenance is None:
        parts.append(_field("closest source", "none"))
    else:
        parts.append(
            _field(
                "closest source",
                f"{clean_text(result.provenance.source)}, "
                f"similarity {format_similarity(result.provenance.similarity)}",
            )
        )
    for note in result.notes:
        parts.append(_field("note", note, style="dim"))

    parts.append(Text())
    if result.sources:
        provenance = None if result.provenance is None else result.provenance.source
        parts.append(Text(f"Sources ({len(result.sources)}, oldest first)", style="bold"))
        parts.append(_timeline(result.sources, provenance))
    else:
        parts.append(Text("No sources.", style="bold"))

    parts.append(Text())
    if not result.findings:
        parts.append(Text("No findings.", style="bold"))
    if substantive:
        parts.append(Text(f"Substantive findings ({len(substantive)})", style="bold"))
        for number, finding in enumerate(substantive, 1):
            parts.append(_finding(number, finding))
    if cosmetic:
        if substantive:
            parts.append(Text())
        parts.append(
            Text(f"Not counted: cosmetic and link findings ({len(cosmetic)})", style="bold")
        )
        for finding in cosmetic:
            parts.append(_cosmetic(finding))
    if result.resolved:
        parts.append(Text())
        parts.append(Text(f"Resolved since the last check ({len(result.resolved)})", style="bold"))
        for finding in result.resolved:
            line = _heading(finding, None)
            line.append(f" · {finding.fingerprint}", style="dim")
            if finding.detail:
                line.append(f": {truncate(finding.detail, 160)}")
            parts.append(line)
    if result.links:
        parts.append(Text())
        parts.append(Text(f"Links ({len(result.links)})", style="bold"))
        parts.append(_links(result.links))
    return Group(*parts)


def _links(links: Sequence[LinkCheck]) -> Text:
    """The link table: status, outcome, text and URL in columns (the URL last, as it may
    be long), the archived version on the line below when there is one."""
    header = ("status", "outcome", "text", "url")
    rows = [header] + [
        (
            "" if link.status is None else str(link.status),
            str(link.outcome) + (" (cached)" if link.cached else ""),
            truncate(link.text, 40),
            clean_text(link.url or "(lost, not recovered)"),
        )
        for link in links
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(3)]
    indent = sum(widths[:2]) + 4
    text = Text()
    for index, row in enumerate(rows):
        if index:
            text.append("\n")
        cells = "  ".join(f"{cell:<{widths[n]}}" for n, cell in enumerate(row[:3]))
        text.append(f"{cells}  {row[3]}".rstrip(), style="bold" if index == 0 else "")
        archived = links[index - 1].archive_url if index else None
        if archived:
            text.append("\n" + " " * indent)
            text.append(f"archived: {clean_text(archived)}", style="dim")
    return text


def _field(label: str, value: str, *, style: str = "") -> Text:
    text = Text(f"{label}: ", style=style or "bold")
    text.append(clean_text(value), style=style)
    return text


def _timeline(sources: Sequence[Source], provenance: str | None) -> Text:
    # Aligned columns by hand rather than a rich Table: a table squeezed into a
    # narrow terminal drops whole columns, and a source id must never vanish.
    ordered = timeline(sources)
    header = ("time (UTC)", "source", "kind", "outcome", "similarity")
    rows = [header] + [
        (
            format_time(source.timestamp),
            clean_text(source.id),
            str(source.kind),
            source_outcome(source),
            format_similarity(source.similarity),
        )
        for source in ordered
    ]
    # Each column as wide as its longest cell: an id is never cut, and the columns
    # after it stay aligned however long it is.
    widths = [max(len(row[column]) for row in rows) for column in range(4)]
    text = Text()
    for index, (time, source_id, kind, outcome, similarity) in enumerate(rows):
        source = ordered[index - 1] if index else None
        if index:
            text.append("\n")
        bold = source is None or source.id == provenance
        line = Text(style="bold" if bold else "")
        line.append(f"{time:<{widths[0]}}  {source_id:<{widths[1]}}  ")
        line.append(f"{kind:<{widths[2]}}  {outcome:<{widths[3]}}  {similarity:>10}")
        if source is not None and source.note:
            line.append(f"  {truncate(source.note, 160)}", style="dim")
        text.append_text(line)
    return text


def _heading(finding: Finding, number: int | None) -> Text:
    text = Text("  " if number is None else f"{number:>3}. ")
    text.append(str(finding.kind), style="bold")
    location = describe_location(finding)
    if location:
        text.append(f" · {location}")
    return text


def _finding(number: int, finding: Finding) -> RenderableType:
    heading = _heading(finding, number)
    heading.append(" · substantive", style="red")
    _history_tags(heading, finding)
    body: list[Text] = []
    if finding.detail:
        body.append(Text(clean_text(finding.detail)))
    body.extend(_evidence(finding))
    seen = _seen(finding)
    if seen is not None:
        body.append(seen)
    if finding.fingerprint is not None:
        body.append(_passage("fingerprint", finding.fingerprint))
    if finding.ack_note:
        body.append(_passage("acknowledged", finding.ack_note))
    return Group(heading, *(Padding(line, (0, 0, 0, _INDENT), expand=False) for line in body))


def _history_tags(heading: Text, finding: Finding) -> None:
    """What the history says of a finding: new or ongoing, acknowledged."""
    if finding.change is not None:
        heading.append(f" · {finding.change}", style="bold" if str(finding.change) == "new" else "")
    if finding.acknowledged:
        heading.append(" · acknowledged", style="dim")


def _cosmetic(finding: Finding) -> RenderableType:
    text = _heading(finding, None)
    counted = finding.kind.is_link or finding.kind is FindingKind.ARCHIVE_DISAGREEMENT
    text.append(" · not counted" if counted else " · cosmetic", style="dim")
    _history_tags(text, finding)
    if finding.detail:
        text.append(f": {truncate(finding.detail, 160)}")
    count = len(finding.sources)
    if count:
        text.append(f" ({count} source{'s' if count != 1 else ''})", style="dim")
    if finding.kind is not FindingKind.ARCHIVE_DISAGREEMENT:
        return text
    # What the two archives' copies say: the claim itself, not only that there is one.
    body = _disagreement(finding)
    return Group(text, *(Padding(line, (0, 0, 0, _INDENT), expand=False) for line in body))


def _disagreement(finding: Finding) -> list[Text]:
    """The passages two archives disagree on: their word diff (the first archive's words
    struck, the second's added), else each archive's passage."""
    first, _sep, second = (finding.field or "").partition(" / ")
    first, second = first or "first archive", second or "second archive"
    if finding.diff:
        line = Text(f"{clean_text(first)} → {clean_text(second)}: ", style="dim")
        line.append_text(_word_diff(finding.diff))
        return [line]
    lines = []
    if finding.local_text:
        lines.append(_passage(clean_text(first), finding.local_text))
    if finding.remote_text:
        lines.append(_passage(clean_text(second), finding.remote_text))
    return lines


def _evidence(finding: Finding) -> list[Text]:
    """The passage, the word diff or the link facts that show the finding."""
    lines: list[Text] = []
    if finding.kind in (FindingKind.EDITED, FindingKind.METADATA) and finding.diff:
        lines.append(_word_diff(finding.diff))
    elif finding.kind is FindingKind.ADDED:
        if finding.remote_text:
            lines.append(_passage("source", finding.remote_text))
    elif finding.kind.is_link:
        if finding.local_text:
            lines.append(_passage("link text", finding.local_text))
        facts = [str(finding.outcome)] if finding.outcome is not None else []
        if finding.status is not None:
            facts.append(f"HTTP {finding.status}")
        if facts:
            lines.append(_passage("status", ", ".join(facts)))
        if finding.archive_url:
            line = Text("archived copy: ", style="dim")
            line.append(clean_text(finding.archive_url))  # a URL cut short is no URL
            lines.append(line)
    else:
        if finding.local_text:
            lines.append(_passage("local copy", finding.local_text))
        if finding.remote_text:
            lines.append(_passage("source", finding.remote_text))
    return lines


def _passage(label: str, text: str) -> Text:
    line = Text(f"{label}: ", style="dim")
    line.append(truncate(text))
    return line


def _word_diff(diff: Sequence[tuple[str, str]]) -> Text:
    text = Text()
    for segment in diff_segments(diff):
        if segment.space_before:
            text.append(" ")
        if segment.op == "delete":
            text.append(f"[-{segment.text}-]", style=_DELETE_STYLE)
        elif segment.op == "insert":
            text.append(f"{{+{segment.text}+}}", style=_INSERT_STYLE)
        elif segment.op == "elided":
            text.append("…", style="dim")
        else:
            text.append(segment.text)
    return text


def _seen(finding: Finding) -> Text | None:
    count = len(finding.sources)
    if not count and finding.first_seen is None and finding.last_seen is None:
        return None
    ids = [clean_text(source) for source in finding.sources[:_MAX_LISTED_SOURCES]]
    if count > _MAX_LISTED_SOURCES:
        ids.append("…")
    text = Text(f"seen in {count} source{'s' if count != 1 else ''}", style="dim")
    if ids:
        text.append(f" ({', '.join(ids)})", style="dim")
    times = []
    if finding.first_seen is not None:
        times.append(f"first {format_time(finding.first_seen)}")
    if finding.last_seen is not None:
        times.append(f"last {format_time(finding.last_seen)}")
    if times:
        text.append(f"; {', '.join(times)}", style="dim")
    return text
