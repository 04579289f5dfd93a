"""CPU benchmark: snapverify's extract + compare against trafilatura + difflib.

Part 1 (real pages): for every page of scrapinghub_aeb and readability_news, with the
expected article text as the local copy, time one check by snapverify (``extract`` with
the local copy as reference, then ``compare_documents``) and by the baseline
(``trafilatura.extract`` then a word-level ``difflib.SequenceMatcher``), in the same run.

Part 2 (growth): synthetic articles of growing size built from real paragraphs, wrapped
in a page with navigation and footer; the local copy carries a few seeded edits. The
time per KB should stay flat (linear growth); the difflib baseline is skipped at sizes
where its quadratic growth would take longer than the cap.

Run by hand (it reads ../shared/realdata; see benchmarks/README.md)::

    python benchmarks/cpu.py [--limit N] [--sizes 50,500,1000] [--skip-pages]
"""

from __future__ import annotations

import argparse
import difflib
import gc
import html as html_lib
import resource
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from pathlib import Path
from random import Random
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from _data import Page, load_pages, to_markdown  # noqa: E402


def _api() -> tuple[Callable[..., Any], Callable[..., Any], Callable[..., Any], Any]:
    try:
        from snapverify.compare import compare_documents
        from snapverify.models import Source, SourceKind
        from snapverify.text.extract import extract
        from snapverify.text.markdown import read_markdown
    except ImportError as exc:
        sys.exit(f"snapverify's core API is not importable: {exc}")
    return (
        read_markdown,
        extract,
        compare_documents,
        Source(id="file:page", kind=SourceKind.FILE, url=""),
    )


class Snapverify:
    """One check: extract the page with the local copy as reference, then compare."""

    def __init__(self) -> None:
        self.read_markdown, self.extract, self.compare, self.source = _api()

    def local(self, paragraphs: Sequence[str], url: str, title: str) -> Any:
        return self.read_markdown(to_markdown(paragraphs, url=url, title=title), url=url)

    def check(self, html: bytes, local: Any, url: str) -> Any:
        doc = self.extract(html, url=url, reference=local)
        return self.compare(local, [(self.source, doc)])


def baseline(html: bytes, local_words: list[str]) -> list[tuple[str, int, int, int, int]]:
    """trafilatura's article text, then difflib's word-level opcodes against the local copy."""
    import trafilatura

    text = trafilatura.extract(html) or ""
    return difflib.SequenceMatcher(None, local_words, text.split()).get_opcodes()


def _timed(function: Callable[[], object]) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def _percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


# --- part 1: real pages ------------------------------------------------------------------


def real_pages(pages: Sequence[Page]) -> None:
    tool = Snapverify()
    checks = []
    for page in pages:
        local = tool.local(page.paragraphs, page.url, page.title)
        local_words = "\n\n".join(page.paragraphs).split()
        checks.append((page, page.html(), local, local_words))

    # warm up once (imports, caches, regex compilation)
    page, html, local, local_words = checks[0]
    tool.check(html, local, page.url)
    baseline(html, local_words)

    from snapverify.text.extract import prepare_reference
    from snapverify.text.normalise import word_keys

    first: list[float] = []
    ours: list[float] = []
    theirs: list[float] = []
    failures: list[str] = []
    slowest: list[tuple[float, str, int]] = []
    for page, html, local, local_words in checks:
        try:
            # The first capture of a snapshot also normalises and indexes the local copy.
            word_keys.cache_clear()
            first.append(_timed(lambda: tool.check(html, local, page.url)))  # noqa: B023
            # Every further capture finds it ready, as the baseline's local word list is:
            # page words are computed afresh (the cache is cleared, the local copy re-primed).
            word_keys.cache_clear()
            prepare_reference(local)
            for block in local.blocks:
                word_keys(block.text)
            ours.append(_timed(lambda: tool.check(html, local, page.url)))  # noqa: B023
            slowest.append((ours[-1], page.id, len(html)))
        except Exception as exc:  # one broken page must not hide the others' timings
            failures.append(f"{page.id}: {type(exc).__name__}: {exc}")
        theirs.append(_timed(lambda: baseline(html, local_words)))  # noqa: B023

    kb = sorted(len(html) / 1024 for _, html, _, _ in checks)
    print(
        f"Real pages: {len(checks)} (scrapinghub_aeb + readability_news), "
        f"page size median {statistics.median(kb):.0f} KB, max {kb[-1]:.0f} KB"
    )
    print(f"{'per page (ms)':<36} {'median':>8} {'p90':>8} {'mean':>8} {'max':>8} {'total s':>8}")
    rows = (
        ("snapverify, first capture", first),
        ("snapverify, each further capture", ours),
        ("trafilatura + difflib word opcodes", theirs),
    )
    for label, values in rows:
        if not values:
            print(f"{label:<36} {'-':>8}")
            continue
        print(
            f"{label:<36} {statistics.median(values) * 1000:>8.1f}"
            f" {_percentile(values, 0.9) * 1000:>8.1f} {statistics.fmean(values) * 1000:>8.1f}"
            f" {max(values) * 1000:>8.1f} {sum(values):>8.2f}"
        )
    if first and theirs:
        print(
            "ratio for a snapshot's first capture: median "
            f"{statistics.median(first) / statistics.median(theirs):.2f}"
        )
    if ours and theirs:
        ratio = statistics.median(ours) / statistics.median(theirs)
        p90 = _percentile(ours, 0.9) / _percentile(theirs, 0.9)
        verdict = "met" if ratio <= 1 / 3 else "NOT met"
        print(
            f"ratio snapverify/baseline per capture: median {ratio:.2f}, p90 {p90:.2f} "
            f"(target <= 0.33: {verdict})"
        )
    slowest.sort(reverse=True)
    print(
        "slowest for snapverify: "
        + ", ".join(f"{pid} {s * 1000:.0f} ms ({size // 1024} KB)" for s, pid, size in slowest[:5])
    )
    for failure in failures:
        print(f"  error: {failure}")


# --- part 2: growth ----------------------------------------------------------------------

NAV = "".join(f'<li><a href="/section/{n}">Section {n}</a></li>' for n in range(1, 25))
FOOTER = (
    "<footer><p>Copyright 2024 Example Media. All rights reserved.</p>"
    '<ul><li><a href="/about">About us</a></li><li><a href="/privacy">Privacy policy</a></li>'
    '<li><a href="/terms">Terms of use</a></li><li><a href="/contact">Contact</a></li></ul>'
    "</footer>"
)


def synthetic_article(pool: Sequence[str], size_kb: int, rng: Random) -> list[str]:
    """Real paragraphs, shuffled (and reused when the pool runs out), totalling size_kb."""
    paragraphs: list[str] = []
    size = 0
    order: list[str] = []
    while size < size_kb * 1024:
        if not order:
            order = list(pool)
            rng.shuffle(order)
        text = order.pop()
        paragraphs.append(text)
        size += len(text.encode("utf-8")) + 2
    return paragraphs


def synthetic_page(paragraphs: Sequence[str], title: str) -> bytes:
    body = "\n".join(f"<p>{html_lib.escape(p)}</p>" for p in paragraphs)
    related = "".join(
        f'<li><a href="/story/{n}">Related story number {n} you may have missed</a></li>'
        for n in range(12)
    )
    page = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html_lib.escape(title)} | Example Media</title>"
        f'<meta property="og:title" content="{html_lib.escape(title)}"></head><body>'
        f'<header><a href="/">Example Media</a><nav><ul>{NAV}</ul></nav></header>'
        f'<main><article><h1>{html_lib.escape(title)}</h1><p class="byline">By A. Writer</p>'
        f'<div class="article-body">\n{body}\n</div></article>'
        f'<aside class="sidebar"><h2>Most read</h2><ul>{related}</ul></aside></main>'
        f"{FOOTER}</body></html>"
    )
    return page.encode("utf-8")


def seeded_edits(paragraphs: list[str], rng: Random, count: int = 6) -> list[str]:
    """A local copy that differs from the page: changed numbers/words, a paragraph gone."""
    local = list(paragraphs)
    for _ in range(count):
        index = rng.randrange(len(local))
        words = local[index].split()
        if len(words) < 4:
            continue
        k = rng.randrange(len(words))
        words[k] = words[k][::-1] if not words[k].isdigit() else str(int(words[k]) + 1)
        local[index] = " ".join(words)
    del local[rng.randrange(len(local))]
    moved = local.pop(rng.randrange(len(local)))
    local.insert(rng.randrange(len(local)), moved)
    return local


def growth(pages: Sequence[Page], sizes: Sequence[int], seed: int, repeat: int, cap: float) -> None:
    tool = Snapverify()
    pool = sorted({p for page in pages for p in page.paragraphs if len(p.split()) >= 8})
    title = "A very long article for the growth benchmark"
    url = "https://example.org/news/growth"
    print(
        f"Growth: synthetic articles from {len(pool)} real paragraphs "
        f"(seed {seed}; best of {repeat}; baseline capped at {cap:.0f} s)"
    )
    print(
        f"{'article':>8} {'html':>8} {'blocks':>6} {'snapverify ms':>14} {'ms/KB':>7}"
        f" {'baseline ms':>14} {'ms/KB':>7}"
    )
    last_baseline: tuple[int, float] | None = None
    tracemalloc_case: tuple[bytes, Any] | None = None
    for size_kb in sizes:
        rng = Random(f"{seed}:growth:{size_kb}")
        paragraphs = synthetic_article(pool, size_kb, rng)
        html = synthetic_page(paragraphs, title)
        local_paragraphs = seeded_edits(paragraphs, rng)
        local = tool.local(local_paragraphs, url, title)
        local_words = "\n\n".join(local_paragraphs).split()
        text_kb = sum(len(p.encode("utf-8")) + 2 for p in paragraphs) / 1024

        tool.check(html, local, url)  # warm up
        ours = min(_timed(lambda: tool.check(html, local, url)) for _ in range(repeat))  # noqa: B023

        if last_baseline is not None:
            previous_kb, previous_s = last_baseline
            predicted = previous_s * (text_kb / previous_kb) ** 2
        else:
            predicted = 0.0
        if predicted > cap:
            theirs_text = f"{'skipped (quadratic, ~' + format(predicted, '.0f') + ' s)':>23}"
        else:
            runs = repeat if predicted < 5 else 1  # one run is precise enough when slow
            theirs = min(_timed(lambda: baseline(html, local_words)) for _ in range(runs))  # noqa: B023
            last_baseline = (round(text_kb), theirs)
            theirs_text = f"{theirs * 1000:>14.0f} {theirs * 1000 / text_kb:>7.2f}"
        print(
            f"{text_kb:>6.0f}KB {len(html) / 1024:>6.0f}KB {len(paragraphs):>6}"
            f" {ours * 1000:>14.0f} {ours * 1000 / text_kb:>7.2f} {theirs_text}"
        )
        tracemalloc_case = (html, local)

    if tracemalloc_case is not None:
        html, local = tracemalloc_case
        gc.collect()
        tracemalloc.start()
        tool.check(html, local, url)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"peak memory, largest case: {peak / 2**20:.1f} MB traced by tracemalloc "
            f"(Python objects; lxml's C tree is not traced); process max RSS {rss:.0f} MB"
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=None, help="only the first N real pages")
    parser.add_argument("--seed", type=int, default=1, help="seed of the synthetic articles")
    parser.add_argument(
        "--sizes", default="50,500,1000", help="synthetic article sizes in KB (default 50,500,1000)"
    )
    parser.add_argument("--repeat", type=int, default=3, help="best of N for growth (default 3)")
    parser.add_argument(
        "--baseline-cap", type=float, default=60.0, help="skip baseline sizes predicted above this"
    )
    parser.add_argument("--skip-pages", action="store_true", help="only the growth part")
    parser.add_argument("--skip-growth", action="store_true", help="only the real pages part")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]

    pages = load_pages("aeb,readability")  # the 221 pages its figures were measured on
    _api()
    if not args.skip_pages:
        real_pages(pages[: args.limit] if args.limit else pages)
        print()
    if not args.skip_growth:
        growth(pages, sizes, args.seed, args.repeat, args.baseline_cap)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
