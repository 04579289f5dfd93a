"""The ``snapverify history`` report: checks over time, and each finding's span.

Terminal (plain text, coloured on a terminal), JSON (``"schema":
"snapverify/history-v1"``, one object) and Markdown. Text from pages (a finding's
detail) goes through the same cleaning as the check reports.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from snapverify.report import clean_text, format_time, truncate
from snapverify.report.markdown import escape
from snapverify.store.history import CheckRecord, FindingSpan

__all__ = ["HISTORY_FORMATS", "HISTORY_SCHEMA", "SnapshotHistory", "render_history"]

HISTORY_SCHEMA: Final = "snapverify/history-v1"
HISTORY_FORMATS: Final = ("terminal", "json", "markdown")
_DETAIL_CHARS: Final = 90
_RED, _GREEN, _YELLOW, _DIM, _RESET = "\x1b[31m", "\x1b[32m", "\x1b[33m", "\x1b[2m", "\x1b[0m"
_VERDICT_COLOR: Final = {"changed": _RED, "unchanged": _GREEN, "unverifiable": _YELLOW}


@dataclass(frozen=True, slots=True)
class SnapshotHistory:
    """One snapshot's recorded checks and findings."""

    snapshot: str
    checks: tuple[CheckRecord, ...]
    findings: tuple[FindingSpan, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "snapshot": self.snapshot,
            "checks": [check.as_dict() for check in self.checks],
            "findings": [finding.as_dict() for finding in self.findings],
        }


def render_history(
    entries: Sequence[SnapshotHistory],
    fmt: str,
    *,
    color: bool = False,
    store: Path | None = None,
) -> str:
    """Render the history of snapshots.

    Args:
        entries: one per snapshot.
        fmt: ``terminal``, ``json`` or ``markdown`` (:data:`HISTORY_FORMATS`).
        color: ANSI colours (terminal format only).
        store: the store the history was read from, named at the top (JSON: ``store``).

    Returns:
        The report, ending with a newline.

    Raises:
        ValueError: ``fmt`` is not one of :data:`HISTORY_FORMATS`.
    """
    if fmt not in HISTORY_FORMATS:
        raise ValueError(f"history: no {fmt!r} format (only {', '.join(HISTORY_FORMATS)})")
    if fmt == "json":
        data: dict[str, Any] = {
            "schema": HISTORY_SCHEMA,
            "snapshots": [e.as_dict() for e in entries],
        }
        if store is not None:
            data["store"] = str(store)
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    if fmt == "markdown":
        text = _markdown(entries)
        if store is None:
            return text
        head, _, rest = text.partition("\n\n")
        return f"{head}\n\n- **Store:** `{store}`\n\n{rest}"
    text = _terminal(entries, color=color)
    return text if store is None else f"store: {store}\n\n{text}"


def _counts(check: CheckRecord) -> str:
    if check.error is not None:
        return f"not checked: {clean_text(check.error)}"
    text = f"{check.new} new, {check.ongoing} ongoing, {check.resolved} resolved"
    if check.acknowledged:
        text += f" ({check.acknowledged} acknowledged)"
    return text + f"; {check.sources}/{check.tried} sources read"


def _state(span: FindingSpan) -> str:
    state = "open" if span.open else "resolved"
    if span.acknowledged:
        state += ", acknowledged" + (f": {clean_text(span.ack_note)}" if span.ack_note else "")
    return state


def _terminal(entries: Sequence[SnapshotHistory], *, color: bool) -> str:
    def paint(text: str, code: str) -> str:
        return f"{code}{text}{_RESET}" if color else text

    lines: list[str] = []
    if not entries:
        return "no recorded check\n"
    for entry in entries:
        if lines:
            lines.append("")
        lines.append(paint(entry.snapshot, "\x1b[1m"))
        for check in entry.checks:
            verdict = paint(f"{check.verdict:<12}", _VERDICT_COLOR.get(check.verdict, ""))
            when = format_time(check.checked_at)
            lines.append(f"  {when}  {verdict} exit {check.exit_code:<3} {_counts(check)}")
        if entry.findings:
            lines.append("  findings (first seen - last seen):")
        for span in entry.findings:
            detail = truncate(clean_text(span.detail), _DETAIL_CHARS)
            flag = "" if span.substantive else " (not substantive)"
            lines.append(
                f"  {span.fingerprint}  {span.kind:<9} "
                f"{format_time(span.first_seen)} - {format_time(span.last_seen)}  "
                f"{span.checks} check(s), {_state(span)}{flag}"
            )
            lines.append(paint(f"      {detail}", _DIM))
    return "\n".join(lines) + "\n"


def _markdown(entries: Sequence[SnapshotHistory]) -> str:
    parts = ["# snapverify history", ""]
    if not entries:
        parts.append("No recorded check.")
    for entry in entries:
        parts += [f"## {escape(entry.snapshot)}", ""]
        parts += ["| Checked (UTC) | Verdict | Exit | Findings |", "|---|---|---|---|"]
        for check in entry.checks:
            parts.append(
                f"| {format_time(check.checked_at)} | {check.verdict} | {check.exit_code} "
                f"| {escape(_counts(check))} |"
            )
        if entry.findings:
            parts += [
                "",
                "| Fingerprint | Kind | First seen | Last seen | Checks | State | Detail |",
                "|---|---|---|---|---|---|---|",
            ]
        for span in entry.findings:
            detail = escape(truncate(clean_text(span.detail), _DETAIL_CHARS))
            parts.append(
                f"| `{span.fingerprint}` | {span.kind} | {format_time(span.first_seen)} "
                f"| {format_time(span.last_seen)} | {span.checks} | {escape(_state(span))} "
                f"| {detail} |"
            )
        parts.append("")
    return "\n".join(parts).rstrip("\n") + "\n"
