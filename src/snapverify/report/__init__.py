"""Reports: render a :class:`~snapverify.models.CheckResult` as text.

Each format lives in its own module and is a pure function returning ``str``:

- :func:`snapverify.report.json.render_json` and ``render_json_lines`` (the
  ``snapverify/check-v1`` contract),
- :func:`snapverify.report.terminal.render_terminal` (rich, optionally coloured),
- :func:`snapverify.report.markdown.render_markdown`,
- :func:`snapverify.report.html.render_html` (one self-contained, script-free page).

:mod:`snapverify.report.load` reads a saved JSON report back into results.

Only the CLI prints. This module holds the presentation helpers the human-readable
formats share (time and similarity formatting, finding locations, the elided word
diff, which URLs may become links) so the terminal, Markdown and HTML reports say the
same thing in the same words.
Everything taken from a page goes through :func:`clean_text` first: control
characters (terminal escape sequences among them) never reach the output.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote, urlsplit

from snapverify.models import Finding, FindingKind, Source, Verdict

__all__ = [
    "DiffSegment",
    "clean_text",
    "describe_location",
    "diff_segments",
    "findings_summary",
    "format_similarity",
    "format_time",
    "printable",
    "safe_url",
    "source_outcome",
    "split_findings",
    "timeline",
    "truncate",
]

PASSAGE_LIMIT = 300
"""Characters of a passage (or of one side of a change) shown before truncating."""

DIFF_CONTEXT = 4
"""Words of unchanged text kept on each side of a change in a word diff."""

# C0 controls except tab and newline, DEL and C1 controls: ESC among them, so a page
# cannot move the cursor, retitle the terminal or hide text in a report.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SPACE = re.compile(r"\s+")
# Characters a link destination keeps as they are: URL delimiters and existing escapes
# (%). Anything else that could end or break it (spaces, quotes, < > ( ), backslashes)
# is percent-encoded.
_URL_SAFE = ":/?#[]@!$&'*+,;=%~-._"


def clean_text(text: str) -> str:
    """Make text from a page safe and compact for one line of a report.

    Removes control characters and collapses every run of whitespace (newlines
    included) to one space.

    Args:
        text: any text, typically taken from a page or a file name.

    Returns:
        The text on one line, without control characters, stripped.
    """
    return _SPACE.sub(" ", _CONTROL.sub("", text)).strip()


def printable(text: str) -> str:
    """``text`` (a message, a file name) as one printable line that names what it shows.

    Bytes a file name holds that are not UTF-8 (Python keeps them as lone surrogates,
    which no UTF-8 stream can write) show as ``\\xff``; control characters (an escape
    sequence in a name) as ``\\x1b``; whitespace runs become one space.

    Args:
        text: any text, such as ``str(path)`` or an error message.

    Returns:
        The text, safe to print on any terminal and encodable as UTF-8.
    """
    text = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    text = " ".join(text.split())
    return _CONTROL.sub(lambda match: f"\\x{ord(match[0]):02x}", text)


def safe_url(url: str | None) -> str | None:
    """The URL to link to, or ``None`` when it must not become a link.

    The one rule for every report's links (Markdown and HTML): only http(s).

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


def truncate(text: str, limit: int = PASSAGE_LIMIT) -> str:
    """Clean ``text`` and cut it to about ``limit`` characters at a word boundary.

    Args:
        text: the text to show.
        limit: the most characters kept before the ellipsis.

    Returns:
        The cleaned text, ending in ``…`` when it was cut.
    """
    text = clean_text(text)
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip() + " …"


def format_time(value: datetime | None) -> str:
    """Format a UTC time for people: ``2012-05-27 18:30:00``, or ``unknown``."""
    if value is None:
        return "unknown"
    return _utc(value).strftime("%Y-%m-%d %H:%M:%S")


def format_similarity(value: float | None) -> str:
    """Format a 0-1 similarity with two decimals, or ``-`` when there is none.

    A similarity below 1 never shows as ``1.00``: it gets a third decimal
    (rounded down), so "identical" is only claimed when it is true.
    """
    if value is None:
        return "-"
    shown = f"{value:.2f}"
    if shown == "1.00" and value < 1:
        shown = f"{int(value * 1000) / 1000:.3f}"
    return shown


def timeline(sources: Iterable[Source]) -> list[Source]:
    """Sources oldest first; those without a timestamp last, in their given order."""
    dated: list[tuple[datetime, int, Source]] = []
    undated: list[Source] = []
    for order, source in enumerate(sources):
        if source.timestamp is None:
            undated.append(source)
        else:
            dated.append((_utc(source.timestamp), order, source))
    dated.sort(key=lambda item: item[:2])
    return [source for _, _, source in dated] + undated


def _utc(value: datetime) -> datetime:
    # Naive datetimes are taken as UTC, as format_timestamp does.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def source_outcome(source: Source) -> str:
    """What reading a source gave, with its HTTP status when that was not 200."""
    if source.status is not None and source.status != 200:
        return f"{source.outcome} ({source.status})"
    return str(source.outcome)


def split_findings(findings: Iterable[Finding]) -> tuple[list[Finding], list[Finding]]:
    """Split findings into (substantive, cosmetic), each keeping its order."""
    substantive: list[Finding] = []
    cosmetic: list[Finding] = []
    for finding in findings:
        (substantive if finding.substantive else cosmetic).append(finding)
    return substantive, cosmetic


def describe_location(finding: Finding) -> str:
    """Where a finding is, in words.

    ``block 3`` (0-based, as in the JSON report), ``after block 7``,
    ``at the start``, ``block 3 → after block 7`` (moved), the metadata field
    (``title``), or the link's URL. Empty when the finding carries none of these.
    """
    if finding.kind.is_link and finding.url:
        where = clean_text(finding.url)  # whole: a URL cut short cannot be followed
        if finding.local_block is not None:
            where += f" (block {finding.local_block})"
        return where
    if finding.field:
        return clean_text(finding.field)
    parts: list[str] = []
    if finding.local_block is not None:
        parts.append(f"block {finding.local_block}")
    if finding.insert_after is not None:
        parts.append(
            "at the start" if finding.insert_after < 0 else f"after block {finding.insert_after}"
        )
    return " → ".join(parts)


def findings_summary(verdict: Verdict, findings: Iterable[Finding]) -> str:
    """One sentence after the verdict word: what the findings mean.

    The substantive changes are counted; the findings that do not count are named
    for what they are: cosmetic changes, link problems not counted (transient until
    confirmed, or a bot wall), link targets the local copy lost and archives that
    disagree with each other.
    """
    if verdict is Verdict.UNVERIFIABLE:
        return "no source could be compared"
    substantive, others = split_findings(findings)
    lost = sum(1 for f in others if f.kind is FindingKind.LOST_LINK_TARGET)
    links = sum(1 for f in others if f.kind.is_link) - lost
    disagree = sum(1 for f in others if f.kind is FindingKind.ARCHIVE_DISAGREEMENT)
    parts = []
    if cosmetic := len(others) - lost - links - disagree:
        parts.append(f"{cosmetic} cosmetic")
    if links:
        parts.append(f"{links} link problem{'s' * (links != 1)} not counted")
    if lost:
        parts.append(f"{lost} lost link target{'s' * (lost != 1)}")
    if disagree:
        parts.append(f"{disagree} archive disagreement{'s' * (disagree != 1)}")
    tail = "".join(f", {part}" for part in parts)
    if verdict is Verdict.CHANGED:
        noun = "change" if len(substantive) == 1 else "changes"
        return f"{len(substantive)} substantive {noun}{tail}"
    return f"no substantive change{tail}"


@dataclass(frozen=True, slots=True)
class DiffSegment:
    """One piece of a word diff as shown to people.

    Attributes:
        op: ``equal``, ``delete``, ``insert``, or ``elided`` (unchanged words left out).
        text: the cleaned words (empty for ``elided``).
        space_before: whether a space separates this piece from the previous one.
            Within a replacement (a deletion directly followed by an insertion)
            the source text has no space; renderers may still add one.
    """

    op: str
    text: str
    space_before: bool


def diff_segments(
    diff: Sequence[tuple[str, str]],
    *,
    context: int = DIFF_CONTEXT,
    limit: int = PASSAGE_LIMIT,
) -> list[DiffSegment]:
    """Turn word-diff operations into segments to show, eliding long unchanged runs.

    Unchanged runs keep ``context`` words next to each change and become
    ``elided`` in between; a deleted or inserted run longer than ``limit``
    characters is truncated. Whitespace inside the operations' text is honoured
    where present; otherwise pieces are separated by one space, except a deletion
    and the insertion right after it (a replacement).

    Args:
        diff: ``(op, text)`` pairs, op in ``equal``/``delete``/``insert``.
        context: unchanged words kept on each side of a change.
        limit: characters kept of one deleted or inserted run.

    Returns:
        The segments in order; empty when ``diff`` holds no words.
    """
    pieces = [(op, text) for op, text in diff if text.strip()]
    segments: list[DiffSegment] = []
    previous_op: str | None = None
    previous_trailing_space = False
    for index, (op, raw) in enumerate(pieces):
        leading_space = raw[:1].isspace()
        if previous_op is None:
            space = False
        elif previous_trailing_space or leading_space:
            space = True
        else:
            space = not (previous_op == "delete" and op == "insert")
        if op == "equal":
            words = clean_text(raw).split(" ")
            first, last = index == 0, index == len(pieces) - 1
            segments.extend(_elide(words, context, space, first=first, last=last))
        else:
            segments.append(DiffSegment(op, truncate(raw, limit), space))
        previous_op = op
        previous_trailing_space = raw[-1:].isspace()
    return segments


def _elide(
    words: list[str], context: int, space: bool, *, first: bool, last: bool
) -> list[DiffSegment]:
    keep_head = 0 if first else context
    keep_tail = 0 if last else context
    if first and last:
        return [DiffSegment("equal", truncate(" ".join(words)), space)]
    if len(words) <= keep_head + keep_tail + 1:
        return [DiffSegment("equal", " ".join(words), space)]
    out: list[DiffSegment] = []
    if keep_head:
        out.append(DiffSegment("equal", " ".join(words[:keep_head]), space))
    out.append(DiffSegment("elided", "", space if not keep_head else True))
    if keep_tail:
        out.append(DiffSegment("equal", " ".join(words[-keep_tail:]), True))
    return out
