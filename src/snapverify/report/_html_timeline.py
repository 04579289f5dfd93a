"""The HTML report's timeline: where each source's mark goes in the inline SVG.

Sources in time order (the local copy first, as the reference), each at the height of
its similarity to the local copy, with a "first appeared" label over the source where a
substantive change was first seen. Only geometry and strings; the template draws.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from snapverify.models import CheckResult, Finding, Source
from snapverify.report import clean_text, format_similarity, format_time
from snapverify.report._html_links import Link, link

__all__ = ["Mark", "Timeline", "build_timeline", "first_appearances"]

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


@dataclass(frozen=True, slots=True)
class Mark:
    """One source on the timeline (or the local copy, the ``reference``)."""

    x: float
    y: float
    label: str
    date: str
    compared: bool
    link: Link
    tip: str
    value: str | None  # the label above the mark: similarity or outcome, if room
    firsts: tuple[int, ...] = ()
    first_label: str = ""
    first_y: int = 0
    reference: bool = False


@dataclass(frozen=True, slots=True)
class Timeline:
    """The SVG's size, the scale's lines, the marks and the trend line through them."""

    width: int
    height: int
    top: int
    bottom: int
    left: int
    right: int
    marks: tuple[Mark, ...]
    path: str
    turned: bool  # date labels at an angle (many sources)


def first_appearances(
    ordered: Sequence[Source], findings: Sequence[Finding]
) -> dict[str, tuple[int, ...]]:
    """Where each finding first appeared: the earliest source that shows it.

    Args:
        ordered: the sources in time order.
        findings: the findings to place, numbered from 1 in this order (as the report
            numbers them).

    Returns:
        Source id -> the numbers of the findings first seen there, in order.
    """
    out: dict[str, list[int]] = {}
    for number, finding in enumerate(findings, start=1):
        shown = set(finding.sources)
        candidates = [s for s in ordered if s.id in shown]
        if finding.first_seen is not None:
            at = [s for s in candidates if s.timestamp == finding.first_seen]
            candidates = at or candidates
        if candidates:
            out.setdefault(candidates[0].id, []).append(number)
    return {key: tuple(value) for key, value in out.items()}


def build_timeline(
    ordered: Sequence[Source], result: CheckResult, firsts: dict[str, tuple[int, ...]]
) -> Timeline:
    """Lay out the timeline of ``result``'s sources.

    Args:
        ordered: the sources in time order (undated last).
        result: the check, for the local copy's path and the provenance.
        firsts: what :func:`first_appearances` gave.

    Returns:
        The geometry and the strings the template draws.
    """

    def y(similarity: float | None) -> float:
        value = 0.0 if similarity is None else max(0.0, min(1.0, similarity))
        return round(_TOP + (1 - value) * _PLOT, 1)

    step = next((step for most, step in _STEPS if len(ordered) <= most), _DENSE_STEP)
    turned = step < _STEPS[0][1]
    provenance = result.provenance.source if result.provenance else None
    marks = [
        Mark(
            x=_LEFT,
            y=y(1.0),
            label="local copy",
            date="local copy" if turned else "reference",
            compared=True,
            link=Link("local copy", None),
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
            Mark(
                x=_LEFT + index * step,
                y=y(source.similarity) if compared else _TOP + _PLOT,
                label=label,
                date=f"{date} {label}" if turned else date,
                compared=compared,
                link=link(source.url, source.id, playback=True),
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
    return Timeline(
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


def _place_first_labels(marks: list[Mark]) -> list[Mark]:
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
