"""Wayback 14-digit timestamps: the one place they are parsed and formatted."""

from __future__ import annotations

import re
from datetime import UTC, datetime

__all__ = ["format_timestamp", "parse_timestamp"]

_TIMESTAMP = re.compile(r"[0-9]{4}(?:[0-9]{2}){0,5}")  # ASCII digits only


def parse_timestamp(value: str) -> datetime:
    """Parse a Wayback timestamp of 4 to 14 digits into a UTC datetime.

    Missing trailing fields take their earliest value (``2012`` is 1 January 2012,
    00:00:00 UTC), as the Wayback Machine reads them.

    Args:
        value: 4, 6, 8, 10, 12 or 14 digits.

    Returns:
        A timezone-aware UTC datetime.

    Raises:
        ValueError: when ``value`` is not such a timestamp or not a real date.
    """
    if not _TIMESTAMP.fullmatch(value):
        raise ValueError(f"not a 4-14 digit timestamp: {value!r}")
    padded = value + "0101000000"[len(value) - 4 :] if len(value) < 14 else value
    return datetime.strptime(padded, "%Y%m%d%H%M%S").replace(tzinfo=UTC)


def format_timestamp(value: datetime) -> str:
    """Format a datetime as a 14-digit UTC timestamp (naive values are taken as UTC)."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.strftime("%Y%m%d%H%M%S")
