"""Lost-anchor search (text/anchors.py) and its repair (links/robust.py, fix-links):
the same matches as the ``LOST_ANCHOR`` pattern, in linear time on hostile pages."""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest

from snapverify.links.robust import Repair, repair_html
from snapverify.snapshot import read_local_copy
from snapverify.text.anchors import LOST_ANCHOR, find_lost_anchors, lost_html_anchors
from support import run_cli

PIECES = [
    '<a href="#">',
    '<A HREF="">',
    "<a href='#'>",
    '<a class="x" href="y">',
    '<a href="#" id=1>',
    "</a>",
    "</A >",
    "<a",
    "<ab",
    "<b>",
    ">",
    "x",
    " ",
    "\n",
    "href",
    '"',
    "#",
]

# '<a' * N and unclosed lost anchors: the pattern alone took 276 s at 80,000.
HOSTILE = {"open-tags": "<a", "unclosed": '<a href="#">x ', "closed": '<a href="#">x</a> '}


def test_the_same_matches_as_the_pattern() -> None:
    rng = random.Random(12)
    for _ in range(5000):
        text = "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 30)))
        expected = [(m.span(), m.groupdict()) for m in LOST_ANCHOR.finditer(text)]
        assert [(m.span(), m.groupdict()) for m in find_lost_anchors(text)] == expected, text


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_html_local_copy_is_read_and_repaired_fast(tmp_path: Path, name: str) -> None:
    unit = HOSTILE[name]
    path = tmp_path / "copy.html"
    timings = []
    for count in (10_000, 80_000):
        path.write_text(f"<html><body><p>{unit * count}</p></body></html>", "utf-8")
        started = time.perf_counter()
        copy = read_local_copy(path, url="https://example.org/a")
        fixed, restored = repair_html(
            path.read_text("utf-8"), [Repair("x", "https://example.org/t", None, None)]
        )
        timings.append(time.perf_counter() - started)
        if name == "closed":
            assert restored == 1 and 'href="https://example.org/t"' in fixed
            assert len([link for link in copy.document.links if link.lost]) >= 1
        else:
            assert restored == 0 and fixed == path.read_text("utf-8")
    # Generous bounds on a shared machine: a quadratic search takes minutes at 80,000.
    assert timings[1] < 5.0, timings
    assert lost_html_anchors(unit * 80_000) == (["x"] * 80_000 if name == "closed" else [])


def test_a_check_of_an_open_tag_flood_ends_fast(tmp_path: Path) -> None:
    folder = tmp_path / "snap"
    folder.mkdir()
    (folder / "copy.html").write_text("<html><body><p>" + "<a" * 80_000, "utf-8")
    (folder / "snapshot.toml").write_text('url = "https://example.org/a"\n', "utf-8")
    started = time.perf_counter()
    code, _out, err = run_cli("check", str(folder / "copy.html"), "--offline")
    assert time.perf_counter() - started < 10.0
    assert code in (2, 4) and "internal error" not in err, err
