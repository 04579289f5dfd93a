"""The per-check deadline (``--check-deadline``, ``check_deadline`` in config.toml) holds
for outbound link checks too: slow links end as ``unreachable`` when it passes, instead
of each taking its own request deadline in turn."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest

from snapverify.config import load_settings
from snapverify.errors import UsageError
from snapverify.links.check import LATE
from support import SEED_URL, run_cli

SLOW = 30.0  # seconds each slow link holds its answer back


def _with_slow_links(mt_site: Any, count: int = 10) -> list[str]:
    urls = [mt_site.origin.slow(f"/slow/{index}", SLOW) for index in range(count)]
    links = " ".join(f"[slow link {index}]({url})" for index, url in enumerate(urls))
    # The seed's lost links would be recovered to hosts off this machine: made plain text.
    text = re.sub(r"\[([^\]]+)\]\(#\)", r"\1", mt_site.local.read_text("utf-8"))
    text = text.replace(SEED_URL, mt_site.url)  # the footer's URL, here the origin's
    mt_site.local.write_text(text + f"\n\nSee also: {links}\n", "utf-8")
    return urls


def _check(mt_site: Any, *args: str) -> tuple[int, dict[str, Any], float]:
    started = time.perf_counter()
    code, out, err = run_cli(
        "check", str(mt_site.local), *mt_site.args, "--format", "json", "--deadline", "6", *args
    )
    elapsed = time.perf_counter() - started
    assert out.strip(), err
    return code, json.loads(out), elapsed


def test_slow_outbound_links_end_at_the_check_deadline(mt_site: Any) -> None:
    urls = _with_slow_links(mt_site)
    code, report, elapsed = _check(mt_site, "--check-deadline", "3")
    # Without the deadline: 10 links, 2 at a time, 6 s each (the request deadline) = 30 s.
    assert elapsed < 15.0, elapsed
    rows = {row["url"]: row for row in report["links"]}
    assert set(urls) <= set(rows)
    late = [rows[url] for url in urls if rows[url]["detail"] == LATE]
    assert late, [rows[url] for url in urls]
    assert all(row["outcome"] == "unreachable" for row in late)
    # Unreachable is transient: no dead-link finding is substantive for them.
    assert not [f for f in report["findings"] if f["kind"] == "dead_link" and f["substantive"]]
    assert code in (0, 1)
    assert any(s["outcome"] == "ok" for s in report["sources"])  # the rest was checked


def test_the_check_deadline_from_config_toml(mt_site: Any) -> None:
    _with_slow_links(mt_site)
    store = mt_site.local.parent.parent / ".snapverify"
    (store / "config.toml").write_text("check_deadline = 3\n", "utf-8")
    assert load_settings(store).check_deadline == 3.0
    _code, report, elapsed = _check(mt_site)
    assert elapsed < 15.0, elapsed
    assert any(row["detail"] == LATE for row in report["links"])


@pytest.mark.parametrize("value", ["0", "-1", "true", '"soon"', "nan"])
def test_a_bad_check_deadline_in_config_toml_is_refused(tmp_path: Path, value: str) -> None:
    (tmp_path / "config.toml").write_text(f"check_deadline = {value}\n", "utf-8")
    with pytest.raises(UsageError, match="check_deadline"):
        load_settings(tmp_path)


def test_a_bad_check_deadline_option_is_a_usage_error(tmp_path: Path) -> None:
    code, _out, err = run_cli("check", str(tmp_path), "--check-deadline", "0")
    assert code == 2 and "--check-deadline" in err
