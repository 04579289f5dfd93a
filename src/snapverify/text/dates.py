"""Dates as people write them on a line of their own, read into ISO 8601."""

from __future__ import annotations

import re
from datetime import date, datetime

__all__ = ["parse_date_line"]

# Dates. Month and weekday names in English, German, French and Spanish; a date line
# is a whole line, so the patterns are anchored and cannot wander into prose.
_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            "january jan januar janv janvier enero ene",
            "february feb februar fev fevr fevrier février févr febrero",
            "march mar märz maerz mars marzo",
            "april apr avril avr abril abr",
            "may mai mayo",
            "june jun juni juin junio",
            "july jul juli juillet juil julio",
            "august aug août aout agosto ago",
            "september sep sept septembre septiembre setiembre",
            "october oct oktober okt octobre octubre",
            "november nov novembre noviembre",
            "december dec dez dezember décembre decembre diciembre dic",
        ),
        start=1,
    )
    for name in names.split()
}
_MONTH = "|".join(sorted(map(re.escape, _MONTHS), key=len, reverse=True))
_LABEL = (
    r"(?:(?:published|posted|updated|last\s+updated|modified|last\s+modified)"
    r"(?:\s+on)?\s*:?\s*)?"
)
_WEEKDAY = (
    r"(?:(?:mon|tue|wed|thu|fri|sat|sun|montag|dienstag|mittwoch|donnerstag|freitag|samstag"
    r"|sonntag|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|lunes|martes|miércoles"
    r"|jueves|viernes|sábado|domingo)[a-z]*\.?,?\s+)?"
)
_PREFIX = _LABEL + _WEEKDAY
_TIME = (
    r"(?:(?:,|\s+at|\s*[|\u00b7\u2022/]|\s+-|T)?\s*(?P<hour>\d{1,2})[:h.](?P<minute>\d{2})"
    r"(?::(?P<second>\d{2})(?:\.\d+)?)?\s*(?P<ampm>[ap]\.?\s?m\.?)?"
    r"\s*(?P<zone>Z|UTC|GMT|[+-]\d{2}:?\d{2}|[A-Z]{2,5})?)?\.?"
)
# A time before the date: "Updated 3:41 PM EST, Mon November 6, 2023".
_TIME_FIRST = (
    r"(?P<hour>\d{1,2})[:.](?P<minute>\d{2})(?::(?P<second>\d{2}))?\s*"
    r"(?P<ampm>[ap]\.?\s?m\.?)?\s*(?P<zone>Z|UTC|GMT|[+-]\d{2}:?\d{2}|[A-Z]{2,5})?\s*,?\s+"
)
_SHAPES = (
    rf"(?P<month>{_MONTH})\.?\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<year>\d{{4}})",
    rf"(?P<day>\d{{1,2}})(?:st|nd|rd|th|\.)?\s+(?:de\s+)?(?P<month>{_MONTH})\.?,?"
    rf"\s+(?:de\s+)?(?P<year>\d{{4}})",
    r"(?P<year>\d{4})([-/])(?P<mnum>\d{1,2})\2(?P<day>\d{1,2})",
    r"(?P<day>\d{1,2})\.(?P<mnum>\d{1,2})\.(?P<year>\d{4})",
    # Chinese and Japanese (年月日), Korean (년월일)
    r"(?P<year>\d{4})\s*[年년]\s*(?P<mnum>\d{1,2})\s*[月월]\s*(?P<day>\d{1,2})\s*[日일]",
)
_DATE_SHAPES = [re.compile(_PREFIX + shape + _TIME, re.IGNORECASE) for shape in _SHAPES] + [
    re.compile(_LABEL + _TIME_FIRST + _WEEKDAY + shape + r"\.?", re.IGNORECASE)
    for shape in _SHAPES[:2]
]


def parse_date_line(text: str) -> str | None:
    """Parse a line that is just a date, optionally with a time, into ISO 8601.

    Accepts "May 27, 2012", "27 May 2012", "2012-05-27", "Sunday, May 27, 2012",
    "May 27, 2012 7:51 pm", "Fri 18 Nov 2011 22.00 GMT", "2012-05-27T19:51:00+04:00",
    "27. Mai 2012", "2012年5月27日", a time before the date ("3:41 PM EST, Mon
    November 6, 2023"), and a leading "Published"/"Updated" label.

    Args:
        text: the whole line.

    Returns:
        ``YYYY-MM-DD``, or a full ISO date-time (with its offset when the line gives
        one) when a time is present; ``None`` when the line is not just a date.
    """
    text = text.strip()
    if len(text) > 80:
        return None
    for shape in _DATE_SHAPES:
        match = shape.fullmatch(text)
        if match is None:
            continue
        parts = match.groupdict()
        month = _MONTHS.get((parts.get("month") or "").lower()) or int(parts.get("mnum") or 0)
        try:
            day = date(int(parts["year"]), month, int(parts["day"]))
            if parts["hour"] is None:
                return day.isoformat()
            hour = int(parts["hour"])
            ampm = (parts["ampm"] or "").lower()
            if ampm and not 1 <= hour <= 12:
                return None
            if ampm:
                hour = hour % 12 + (12 if ampm.startswith("p") else 0)
            zone = (parts["zone"] or "").upper()
            offset = "+00:00" if zone in ("Z", "UTC", "GMT") else ""
            if zone[:1] in "+-" and zone:
                offset = zone if ":" in zone else f"{zone[:3]}:{zone[3:]}"
            moment = datetime(
                day.year, day.month, day.day, hour, int(parts["minute"]), int(parts["second"] or 0)
            )
        except ValueError:
            return None
        return moment.isoformat() + offset
    return None
