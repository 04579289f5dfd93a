"""The Markdown report: for pasting into an issue, a wiki page or a newsroom note.

Every string that came from a page or a file goes through :func:`escape`, so a
page cannot inject links, images, HTML or table cells into the report; only
``http``/``https`` URLs become links. The word diff reads ``~~old~~ **new**``.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from snapverify.models import CheckResult, Finding, FindingKind, LinkCheck, Source, SourceKind
from snapverify.report import (
    clean_text,
    describe_location,
    diff_segments,
    findings_summary,
    format_similarity,
    format_time,
    safe_url,
    source_outcome,
    split_findings,
    timeline,
    truncate,
)

__all__ = ["escape", "link", "render_markdown"]

# Markdown punctuation that can start a construct inline (emphasis, code, links,
# images, headings, tables, strikethrough). < > & are HTML-escaped instead.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]#|~!])")
_MAX_LISTED_SOURCES = 6


def escape(text: str) -> str:
    """Escape text for use inside a Markdown paragraph, list item or table cell.

    The text is put on one line (control characters removed, whitespace
    collapsed), Markdown punctuation is backslash-escaped and ``&``, ``<``, ``>``
    become HTML entities, so the result renders as the literal text.

    Args:
        text: untrusted text, e.g. from a page.

    Returns:
        Markdown source that renders as ``text`` and nothing else.
    """
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", clean_text(text))
    return html.escape(escaped, quote=False)


def link(url: str, label: str | None = None) -> str:
    """A Markdown link to ``url`` if it is http(s), else the escaped text.

    Args:
        url: the target; any other scheme (``javascript:``, ``data:``, ``file:``)
            is shown as text, never linked.
        label: the link text; the URL itself by default.

    Returns:
        Markdown source.
    """
    text = escape(url if label is None else label)
    destination = safe_url(url)
    return text if destination is None else f"[{text}]({destination})"


def render_markdown(results: Sequence[CheckResult]) -> str:
    """Render check results as a Markdown document.

    Args:
        results: the outcomes of checking one or more snapshots.

    Returns:
        The Markdown source, ending with a newline.
    """
    lines = ["# snapverify report", ""]
    for result in results:
        lines.extend(_snapshot(result))
    return "\n".join(lines).rstrip("\n") + "\n"


def _snapshot(result: CheckResult) -> list[str]:
    snapshot = result.snapshot
    substantive, cosmetic = split_findings(result.findings)
    title = snapshot.title if snapshot.title else snapshot.path
    lines = [f"## {escape(title)}", ""]
    summary = findings_summary(result.verdict, result.findings)
    lines.append(f"- **Verdict:** {result.verdict} ({summary}; exit {result.exit_code})")
    lines.append(f"- **Snapshot:** {escape(snapshot.path)} (sha256 {escape(snapshot.sha256)})")
    lines.append(f"- **URL:** {link(snapshot.url)}")
    if result.store:
        lines.append(f"- **Store:** {escape(result.store)}")
    if result.provenance is None:
        lines.append("- **Closest source:** none")
    else:
        lines.append(
            f"- **Closest source:** {escape(result.provenance.source)}, "
            f"similarity {format_similarity(result.provenance.similarity)}"
        )
    for note in result.notes:
        lines.append(f"- **Note:** {escape(note)}")
    lines.append("")

    lines.extend(["### Timeline", ""])
    if result.sources:
        lines.extend(_timeline(result.sources))
    else:
        lines.append("No sources.")
    lines.append("")

    lines.extend(["### Findings", ""])
    if not result.findings:
        lines.extend(["No findings.", ""])
    if substantive:
        for finding in substantive:
            lines.extend(_finding(finding))
        lines.append("")
    if cosmetic:
        lines.extend([f"#### Not counted: cosmetic and link findings ({len(cosmetic)})", ""])
        for finding in cosmetic:
            lines.append(_cosmetic(finding))
        lines.append("")
    if result.resolved:
        lines.extend([f"#### Resolved since the last check ({len(result.resolved)})", ""])
        for finding in result.resolved:
            text = f"- {_heading(finding)}, fingerprint `{finding.fingerprint}`"
            if finding.detail:
                text += f": {escape(truncate(finding.detail, 160))}"
            lines.append(text)
        lines.append("")
    if result.links:
        lines.extend(["### Links", ""])
        lines.extend(_links(result.links))
        lines.append("")
    return lines


def _links(links: Sequence[LinkCheck]) -> list[str]:
    """The link table: text, URL, status, outcome, archived version (escaped, http(s) only)."""
    lines = [
        _row(["text", "url", "status", "outcome", "archived version"]),
        _row(["---", "---", "---:", "---", "---"]),
    ]
    for item in links:
        outcome = str(item.outcome) + (" (cached)" if item.cached else "")
        archived = ""
        if item.archive_url:
            stamp = format_time(item.archive_timestamp) if item.archive_timestamp else "archived"
            archived = link(item.archive_url, stamp)
        cells = [
            escape(truncate(item.text, 80)),
            link(item.url) if item.url else "(lost)",
            "" if item.status is None else str(item.status),
            escape(outcome),
            archived,
        ]
        lines.append(_row(cells))
    return lines


def _timeline(sources: Sequence[Source]) -> list[str]:
    with_notes = any(source.note for source in sources)
    header = ["time (UTC)", "source", "kind", "outcome", "similarity"]
    rule = ["---", "---", "---", "---", "---:"]
    if with_notes:
        header.append("note")
        rule.append("---")
    lines = [_row(header), _row(rule)]
    for source in timeline(sources):
        cells = [
            format_time(source.timestamp),
            _source_cell(source),
            str(source.kind),
            source_outcome(source),
            format_similarity(source.similarity),
        ]
        if with_notes:
            cells.append(escape(truncate(source.note or "", 160)))
        lines.append(_row(cells))
    return lines


def _source_cell(source: Source) -> str:
    # Captures and the live page link to where a reader can see them (http(s) only).
    if source.kind in (SourceKind.ARCHIVE, SourceKind.LIVE):
        return link(source.url, source.id)
    return escape(source.id)


def _row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _heading(finding: Finding) -> str:
    text = f"**{finding.kind}**"
    location = describe_location(finding)
    if location:
        text += f", {escape(location)}"
    return text


def _finding(finding: Finding) -> list[str]:
    head = f"- {_heading(finding)} (substantive{_history_tags(finding)})"
    if finding.detail:
        head += f": {escape(finding.detail)}"
    lines = [head]
    lines.extend(f"  - {item}" for item in _evidence(finding))
    seen = _seen(finding)
    if seen:
        lines.append(f"  - {seen}")
    if finding.fingerprint is not None:
        lines.append(f"  - fingerprint: `{finding.fingerprint}`")
    if finding.ack_note:
        lines.append(f"  - acknowledged: {escape(finding.ack_note)}")
    return lines


def _history_tags(finding: Finding) -> str:
    """``, new`` / ``, ongoing`` and ``, acknowledged``, as the history says."""
    tags = "" if finding.change is None else f", {finding.change}"
    return tags + (", acknowledged" if finding.acknowledged else "")


def _cosmetic(finding: Finding) -> str:
    text = f"- {_heading(finding)}"
    if finding.detail:
        text += f": {escape(truncate(finding.detail, 160))}"
    count = len(finding.sources)
    if count:
        text += f" ({count} source{'s' if count != 1 else ''})"
    if finding.kind is FindingKind.ARCHIVE_DISAGREEMENT:
        # What the two archives' copies say: the claim itself, not only that there is one.
        text += "".join(f"\n  - {item}" for item in _disagreement(finding))
    return text


def _disagreement(finding: Finding) -> list[str]:
    """The passages two archives disagree on: their word diff (the first archive's words
    struck, the second's in bold), else each archive's passage."""
    first, _sep, second = (finding.field or "").partition(" / ")
    first, second = escape(first or "first archive"), escape(second or "second archive")
    if finding.diff:
        return [f"{first} → {second}: {_word_diff(finding.diff)}"]
    items = []
    if finding.local_text:
        items.append(f"{first}: {escape(truncate(finding.local_text))}")
    if finding.remote_text:
        items.append(f"{second}: {escape(truncate(finding.remote_text))}")
    return items


def _evidence(finding: Finding) -> list[str]:
    items: list[str] = []
    if finding.kind in (FindingKind.EDITED, FindingKind.METADATA) and finding.diff:
        items.append(f"diff: {_word_diff(finding.diff)}")
    elif finding.kind is FindingKind.ADDED:
        if finding.remote_text:
            items.append(f"source: {escape(truncate(finding.remote_text))}")
    elif finding.kind.is_link:
        if finding.local_text:
            items.append(f"link text: {escape(truncate(finding.local_text))}")
        facts = [str(finding.outcome)] if finding.outcome is not None else []
        if finding.status is not None:
            facts.append(f"HTTP {finding.status}")
        if finding.url:
            items.append(f"link: {link(finding.url)}")
        if facts:
            items.append(f"status: {', '.join(facts)}")
        if finding.archive_url:
            items.append(f"archived copy: {link(finding.archive_url)}")
    else:
        if finding.local_text:
            items.append(f"local copy: {escape(truncate(finding.local_text))}")
        if finding.remote_text:
            items.append(f"source: {escape(truncate(finding.remote_text))}")
    return items


def _word_diff(diff: Sequence[tuple[str, str]]) -> str:
    out: list[str] = []
    for index, segment in enumerate(diff_segments(diff)):
        # Always a space between a deletion and its insertion: ~~old~~ **new**.
        if index and (segment.space_before or segment.op == "insert"):
            out.append(" ")
        if segment.op == "delete":
            out.append(f"~~{escape(segment.text)}~~")
        elif segment.op == "insert":
            out.append(f"**{escape(segment.text)}**")
        elif segment.op == "elided":
            out.append("…")
        else:
            out.append(escape(segment.text))
    return "".join(out)


def _seen(finding: Finding) -> str:
    count = len(finding.sources)
    parts: list[str] = []
    if count:
        ids = [escape(source) for source in finding.sources[:_MAX_LISTED_SOURCES]]
        if count > _MAX_LISTED_SOURCES:
            ids.append("…")
        parts.append(f"seen in {count} source{'s' if count != 1 else ''}: {', '.join(ids)}")
    times = []
    if finding.first_seen is not None:
        times.append(f"first seen {format_time(finding.first_seen)}")
    if finding.last_seen is not None:
        times.append(f"last seen {format_time(finding.last_seen)}")
    if times:
        parts.append(", ".join(times))
    return "; ".join(parts)
