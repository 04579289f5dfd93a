"""compare/fingerprint.py: one fingerprint per change, whoever saw it and when."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime

from snapverify.compare.fingerprint import FINGERPRINT_LENGTH, fingerprint
from snapverify.models import Finding, FindingKind, Outcome

EDIT = Finding(
    kind=FindingKind.EDITED,
    substantive=True,
    detail="block 3 edited",
    local_block=3,
    local_text="The government admits that 15 people were killed.",
    remote_text="The government admits that 16 people were killed.",
    diff=(("equal", "The government admits that"), ("delete", "15"), ("insert", "16")),
    sources=("mt:20120529120000",),
    first_seen=datetime(2012, 5, 29, 12, tzinfo=UTC),
    last_seen=datetime(2012, 5, 29, 12, tzinfo=UTC),
)


def test_a_fingerprint_is_short_hex() -> None:
    assert re.fullmatch(rf"[0-9a-f]{{{FINGERPRINT_LENGTH}}}", fingerprint(EDIT))


def test_sources_times_places_and_wording_of_the_detail_do_not_change_it() -> None:
    seen_elsewhere = dataclasses.replace(
        EDIT,
        sources=("live", "wayback:20240101000000"),
        first_seen=datetime(2024, 1, 1, tzinfo=UTC),
        last_seen=None,
        local_block=4,
        detail="another wording",
        change=None,
        acknowledged=True,
    )
    assert fingerprint(seen_elsewhere) == fingerprint(EDIT)


def test_cosmetic_differences_do_not_change_it() -> None:
    cosmetic = dataclasses.replace(
        EDIT,
        local_text="The  government admits that 15 people were killed",
        remote_text="the government admits that 16 people were killed\u2026",
    )
    assert fingerprint(cosmetic) == fingerprint(EDIT)


def test_the_words_the_kind_and_the_field_do() -> None:
    other_words = dataclasses.replace(EDIT, remote_text="The government admits that 17 died.")
    other_kind = dataclasses.replace(EDIT, kind=FindingKind.MOVED)
    assert len({fingerprint(EDIT), fingerprint(other_words), fingerprint(other_kind)}) == 3
    title = Finding(
        FindingKind.METADATA, True, "title changed", field="title", local_text="A", remote_text="B"
    )
    byline = dataclasses.replace(title, field="byline")
    assert fingerprint(title) != fingerprint(byline)
    # The local and remote sides are not interchangeable.
    swapped = dataclasses.replace(EDIT, local_text=EDIT.remote_text, remote_text=EDIT.local_text)
    assert fingerprint(swapped) != fingerprint(EDIT)


def test_a_link_finding_is_its_kind_and_url() -> None:
    dead = Finding(
        FindingKind.DEAD_LINK,
        True,
        "link answers 404",
        url="https://example.org/a",
        status=404,
        outcome=Outcome.NOT_FOUND,
        text="a report",
    )
    gone_later = dataclasses.replace(dead, status=410, outcome=Outcome.GONE, text="the report")
    assert fingerprint(gone_later) == fingerprint(dead)
    assert fingerprint(dataclasses.replace(dead, url="https://example.org/b")) != fingerprint(dead)
    rot = dataclasses.replace(dead, kind=FindingKind.LINK_ROT)
    assert fingerprint(rot) != fingerprint(dead)
    # A lost target that was never recovered is named by its anchor text.
    lost = Finding(FindingKind.LOST_LINK_TARGET, False, "target lost", text="Zhanaozen")
    other = dataclasses.replace(lost, text="Kairat Edilov")
    assert fingerprint(lost) != fingerprint(other)
