"""How a check's findings relate to the previous check's: new, ongoing, resolved.

Private to :mod:`snapverify.store.history` (whose docstring states the rules).
Pure: findings in, annotated findings out; plus the JSON form findings are
stored in.
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from snapverify.compare.fingerprint import fingerprint
from snapverify.models import Change, CheckResult, Finding, FindingKind, Outcome, Verdict
from snapverify.timestamps import parse_timestamp

__all__ = ["Row", "annotate", "finding_from_dict", "stored"]

# A source read this time: its text was compared, so what it does not show is gone.
_READ: Final = frozenset({Outcome.OK, Outcome.REDIRECTED})


def annotate(
    result: CheckResult, previous: dict[str, Finding], acks: dict[str, str | None]
) -> tuple[CheckResult, list[Row]]:
    """``result`` annotated against the previous check's open findings.

    Returns:
        The annotated result and the rows to store: every finding of this check,
        and every open finding of the previous one that this check did not show
        (carried, kept open or resolved).
    """

    def marked(finding: Finding, change: Change, key: str) -> Finding:
        return dataclasses.replace(
            finding,
            fingerprint=key,
            change=change,
            acknowledged=key in acks,
            ack_note=acks.get(key),
        )

    if result.error is not None:
        # The check did not run: everything open stays open, nothing is reported as seen.
        return result, [Row(marked(f, Change.ONGOING, k)) for k, f in previous.items()]

    rows: list[Row] = []
    findings: list[Finding] = []
    shown: set[str] = set()
    for finding in result.findings:
        key = fingerprint(finding)
        change = Change.ONGOING if key in previous else Change.NEW
        finding = marked(finding, change, key)
        findings.append(finding)
        rows.append(Row(finding, shown=True, reported=True))
        shown.add(key)

    outcomes = {source.id: source.outcome for source in result.sources}
    resolved: list[Finding] = []
    carried = 0
    for key, finding in previous.items():
        if key in shown:
            continue
        fate = _fate(finding, outcomes, links_checked=bool(result.links))
        if fate is _Fate.RESOLVED:
            gone = marked(finding, Change.RESOLVED, key)
            resolved.append(gone)
            rows.append(Row(gone))
            continue
        kept = marked(finding, Change.ONGOING, key)
        rows.append(Row(kept, reported=fate is _Fate.CARRIED))
        if fate is _Fate.CARRIED:
            findings.append(kept)
            carried += 1

    notes = list(result.notes)
    if carried:
        notes.append(
            f"{carried} finding(s) of the last check carried as ongoing: "
            "the sources that showed them could not be read again"
        )
    verdict, exit_code = result.verdict, result.exit_code
    if verdict is not Verdict.UNVERIFIABLE:
        verdict = Verdict.CHANGED if any(f.substantive for f in findings) else Verdict.UNCHANGED
        exit_code = 1 if any(f.substantive and not f.acknowledged for f in findings) else 0
    annotated = dataclasses.replace(
        result,
        findings=tuple(findings),
        resolved=tuple(resolved),
        notes=tuple(notes),
        verdict=verdict,
        exit_code=exit_code,
    )
    return annotated, rows


@dataclass(frozen=True, slots=True)
class Row:
    """A finding as one check records it."""

    finding: Finding
    shown: bool = False  # this check's sources show it
    reported: bool = False  # in this check's report (shown, or carried as ongoing)


class _Fate(enum.Enum):
    RESOLVED = "resolved"  # its sources were read again and no longer show it
    CARRIED = "carried"  # a source that showed it was asked but not read: reported ongoing
    KEPT = "kept"  # none of its sources was asked this time: open, not in this report


def _fate(finding: Finding, outcomes: dict[str, Outcome], *, links_checked: bool) -> _Fate:
    """What becomes of an open finding this check did not show (see the module doc)."""
    if finding.kind.is_link and not finding.sources:
        return _Fate.RESOLVED if links_checked else _Fate.KEPT
    asked = [outcomes[s] for s in finding.sources if s in outcomes]
    if not asked:
        return _Fate.KEPT
    if all(outcome in _READ for outcome in asked):
        return _Fate.RESOLVED
    return _Fate.CARRIED


# -- findings as stored --------------------------------------------------------


def stored(finding: Finding) -> dict[str, Any]:
    data = finding.as_dict()
    # Kept whatever the kind, so a carried finding comes back whole.
    data.update(url=finding.url, text=finding.text, archive_url=finding.archive_url)
    data["status"] = finding.status
    data["outcome"] = None if finding.outcome is None else str(finding.outcome)
    return data


def finding_from_dict(data: dict[str, Any]) -> Finding:
    """A finding back from its stored JSON (history fields left for the caller)."""

    def stamp(value: str | None) -> datetime | None:
        return None if value is None else parse_timestamp(value)

    outcome = data.get("outcome")
    return Finding(
        kind=FindingKind(data["kind"]),
        substantive=bool(data["substantive"]),
        detail=data["detail"],
        local_block=data.get("local_block"),
        insert_after=data.get("insert_after"),
        field=data.get("field"),
        local_text=data.get("local_text"),
        remote_text=data.get("remote_text"),
        diff=tuple((op, text) for op, text in data.get("diff", ())),
        sources=tuple(data.get("sources", ())),
        first_seen=stamp(data.get("first_seen")),
        last_seen=stamp(data.get("last_seen")),
        url=data.get("url"),
        status=data.get("status"),
        outcome=None if outcome is None else Outcome.parse(outcome),
        archive_url=data.get("archive_url"),
        text=data.get("text"),
    )
