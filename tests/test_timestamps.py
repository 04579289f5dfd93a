"""Wayback 14-digit timestamps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from snapverify.timestamps import format_timestamp, parse_timestamp


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2012", datetime(2012, 1, 1, tzinfo=UTC)),
        ("201205", datetime(2012, 5, 1, tzinfo=UTC)),
        ("20120527", datetime(2012, 5, 27, tzinfo=UTC)),
        ("2012052719", datetime(2012, 5, 27, 19, tzinfo=UTC)),
        ("201205271951", datetime(2012, 5, 27, 19, 51, tzinfo=UTC)),
        ("20120527195102", datetime(2012, 5, 27, 19, 51, 2, tzinfo=UTC)),
        ("19960101000000", datetime(1996, 1, 1, tzinfo=UTC)),
    ],
)
def test_parse_pads_missing_fields_with_their_earliest_value(
    value: str, expected: datetime
) -> None:
    parsed = parse_timestamp(value)
    assert parsed == expected
    assert parsed.tzinfo is UTC


@pytest.mark.parametrize(
    "value",
    [
        "",
        "201",
        "20120",  # odd length
        "2012052",
        "201205271951021",  # 15 digits
        "2012-05-27",
        " 20120527",
        "20120527\n",
        "2012O527",
        "\u0662\u0660\u0661\u0662",  # Arabic-Indic digits
        "20121301",  # month 13
        "20120230",  # 30 February
        "20120527240000",  # hour 24
        "20120527195160",  # second 60
        "0000",
    ],
)
def test_parse_refuses_what_is_not_a_timestamp(value: str) -> None:
    with pytest.raises(ValueError):
        parse_timestamp(value)


def test_format_is_14_digits_in_utc() -> None:
    moscow = timezone(timedelta(hours=4))
    assert format_timestamp(datetime(2012, 5, 27, 19, 51, 0, tzinfo=moscow)) == "20120527155100"
    assert format_timestamp(datetime(2012, 5, 27, 1, 2, 3, tzinfo=moscow)) == "20120526210203"
    assert format_timestamp(datetime(2012, 5, 27, 19, 51, 0, tzinfo=UTC)) == "20120527195100"


def test_format_takes_naive_values_as_utc() -> None:
    assert format_timestamp(datetime(2012, 5, 27, 19, 51, 2)) == "20120527195102"


def test_format_drops_microseconds() -> None:
    assert format_timestamp(datetime(2012, 5, 27, 19, 51, 2, 999_999, tzinfo=UTC)) == (
        "20120527195102"
    )


@pytest.mark.parametrize("value", ["20120527195102", "19961231235959", "20240229000000"])
def test_round_trip(value: str) -> None:
    assert format_timestamp(parse_timestamp(value)) == value
