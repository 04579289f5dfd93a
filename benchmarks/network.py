"""Network benchmark: snapverify's check against a rate-limited loopback archive.

A Wayback-compatible archive on 127.0.0.1 (``_archive_server.py``) holds N article URLs
× M captures with K distinct digests each and enforces the Internet Archive's limits in
scaled time (``--scale`` real seconds stand for one minute): CDX/TimeMap 30 a minute,
playback 600 a minute, 429 past them. N local copies of those articles are checked:

1. by snapverify (``check_snapshots``, live page off, a fresh capture cache), in a fresh
   process, at its default rates scaled the same way (CDX 24 a minute, playback 8 a
   second);
2. by snapverify again, in another fresh process with the same cache: only the listings
   should be asked for;
3. by a naive client: waybackpy's CDX API pointed at the loopback collection, then every
   listed capture fetched with requests, one after the other, no rate limit.

The archive counts every request by kind and every 429. The bound is the least time the
least requests take at snapverify's allowed rates: N listings at 24 a minute and one
playback per distinct digest at 8 a second. Run by hand (see benchmarks/README.md)::

    python benchmarks/network.py [--snapshots 5] [--captures 20] [--digests 4] [--scale 12]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import queue
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from _archive_server import (  # noqa: E402
    CDX_PER_MINUTE,
    PLAYBACK_PER_MINUTE,
    ArchiveServer,
    Corpus,
    build_corpus,
)

# snapverify's default rates (fetch/http.py DEFAULT_RATES), per minute.
CDX_RATE = 24
PLAYBACK_RATE = 8 * 60
NAIVE_RETRIES = 3  # immediate retries of a capture answered 429, then it is skipped
TARGET_RATIO = 1.2


@dataclass
class Run:
    """One client's run, as the archive saw it."""

    client: str
    wall: float
    bound: float
    cdx: int
    playback: int
    refused: int
    minimum_cdx: int
    minimum_playback: int
    captures: str  # captures obtained out of those listed
    refetched: int = 0  # playback requests for a (URL, digest) already fetched in this run
    failed: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def ratio(self) -> float:
        return self.wall / self.bound if self.bound else float("nan")


def write_local_copies(corpus: Corpus, folder: Path) -> list[Path]:
    """One snapshot folder per archived URL, each holding a Markdown local copy."""
    paths = []
    for number, snapshot in enumerate(corpus.snapshots):
        slug = snapshot.url.rstrip("/").rpartition("/")[2]
        path = folder / f"news-example-2012-05-27-{slug}" / f"{number:03d}_{slug}.txt"
        path.parent.mkdir(parents=True)
        path.write_text(snapshot.markdown(), encoding="utf-8")
        paths.append(path.parent)
    return paths


# --- snapverify ----------------------------------------------------------------------------


def _snapverify_child(
    paths: list[str],
    base: str,
    scale: float,
    store: str,
    overrides: dict[str, int],
    answers: multiprocessing.Queue[Any],
) -> None:
    """Run one check of every snapshot in this (fresh) process; put what happened."""
    try:
        answers.put(asyncio.run(_snapverify_check(paths, base, scale, store, overrides)))
    except BaseException as exc:  # the parent prints it; nothing is hidden
        answers.put({"error": f"{type(exc).__name__}: {exc}"})


async def _snapverify_check(
    paths: list[str], base: str, scale: float, store: str, overrides: dict[str, int]
) -> dict[str, Any]:
    from snapverify.fetch.http import Rate
    from snapverify.pipeline.check import CheckOptions, check_snapshots

    options = CheckOptions(
        archives=(base,),
        allow_private=True,
        live=False,
        rates={"cdx": Rate(CDX_RATE, scale), "playback": Rate(PLAYBACK_RATE, scale)},
        store=Path(store),
        **overrides,  # type: ignore[arg-type]
    )
    start = time.perf_counter()
    results = await check_snapshots([Path(p) for p in paths], options)
    wall = time.perf_counter() - start
    outcomes: Counter[str] = Counter()
    verdicts: Counter[str] = Counter()
    findings: Counter[str] = Counter()
    details: list[str] = []
    for result in results:
        verdicts[str(getattr(result.verdict, "value", result.verdict))] += 1
        findings.update(str(getattr(f.kind, "value", f.kind)) for f in result.findings)
        for source in result.sources:
            if str(getattr(source.kind, "value", source.kind)) != "archive":
                continue
            outcome = str(getattr(source.outcome, "value", source.outcome))
            outcomes[outcome] += 1
            if outcome != "ok" and source.note and len(details) < 3:
                details.append(f"{source.id}: {outcome}: {source.note}")
        details.extend(result.notes[: max(0, 3 - len(details))])
    return {
        "wall": wall,
        "outcomes": dict(outcomes),
        "verdicts": dict(verdicts),
        "findings": dict(findings),
        "details": details,
    }


def run_snapverify(
    label: str,
    server: ArchiveServer,
    paths: list[Path],
    store: Path,
    bound: float,
    *,
    cached: bool,
    overrides: dict[str, int],
) -> Run:
    """Check every snapshot with snapverify in a fresh process; count what the archive saw.

    ``cached``: the store already holds every capture, so only listings are needed.
    ``overrides``: further ``CheckOptions`` fields (``concurrency``, ``per_host``).
    """
    server.reset()
    context = multiprocessing.get_context("spawn")
    answers: multiprocessing.Queue[Any] = context.Queue()
    args = ([str(p) for p in paths], server.base, server.scale, str(store), overrides, answers)
    process = context.Process(target=_snapverify_child, args=args)
    process.start()
    try:
        answer = answers.get(timeout=600)
    except queue.Empty:
        answer = {"error": "no answer within 600 s"}
    process.join(timeout=30)
    if process.is_alive():
        process.terminate()
    corpus = server.corpus
    run = Run(
        client=label,
        wall=answer.get("wall", float("nan")),
        bound=bound,
        cdx=server.requests["cdx"],
        playback=server.requests["playback"],
        refused=sum(server.refused.values()),
        minimum_cdx=len(corpus.snapshots),
        minimum_playback=0 if cached else corpus.distinct_digests,
        captures="-",
        refetched=sum(n - 1 for n in server.fetched.values()),
    )
    if "error" in answer:
        run.failed = True
        run.notes.append(f"{label}: failed: {answer['error']}")
        return run
    outcomes = answer["outcomes"]
    run.captures = f"{outcomes.get('ok', 0)}/{corpus.captures}"
    verdicts = ", ".join(f"{n} {v}" for v, n in sorted(answer["verdicts"].items()))
    sources = ", ".join(f"{n} {o}" for o, n in sorted(outcomes.items()))
    found = ", ".join(f"{n} {k}" for k, n in sorted(answer["findings"].items()))
    run.notes.append(
        f"{label}: verdicts {verdicts}; findings {found or 'none'}; "
        f"archive sources {sources or 'none'}"
    )
    run.notes.extend(f"{label}: {detail}" for detail in answer["details"])
    return run


# --- the naive client --------------------------------------------------------------------


def run_naive(server: ArchiveServer, bound: float) -> Run:
    """waybackpy lists, requests fetches every row in turn; 429s are retried at once."""
    import requests
    from waybackpy import WaybackMachineCDXServerAPI

    server.reset()
    corpus = server.corpus
    got = 0
    lost_listings = 0
    skipped = 0
    start = time.perf_counter()
    with requests.Session() as session:
        for snapshot in corpus.snapshots:
            cdx = WaybackMachineCDXServerAPI(snapshot.url)
            # The endpoint is an attribute set in __init__, so the listing can come from
            # the loopback collection; waybackpy reads IA's space-separated answer.
            cdx.endpoint = f"{server.base}/cdx"
            rows = list(cdx.snapshots())
            if not rows:
                lost_listings += 1  # waybackpy reads a 429 answer as an empty listing
            for row in rows:
                # row.archive_url is hard-wired to web.archive.org (and the banner view).
                url = f"{server.base}/{row.timestamp}id_/{row.original}"
                for _ in range(1 + NAIVE_RETRIES):
                    answer = session.get(url, timeout=30)
                    if answer.status_code != 429:
                        break
                if answer.status_code == 200:
                    got += 1
                else:
                    skipped += 1
    wall = time.perf_counter() - start
    run = Run(
        client="naive (waybackpy + requests)",
        wall=wall,
        bound=bound,
        cdx=server.requests["cdx"],
        playback=server.requests["playback"],
        refused=sum(server.refused.values()),
        minimum_cdx=len(corpus.snapshots),
        minimum_playback=corpus.distinct_digests,
        captures=f"{got}/{corpus.captures}",
        refetched=sum(n - 1 for n in server.fetched.values()),
    )
    if lost_listings or skipped:
        run.notes.append(
            f"naive: {lost_listings} listing(s) answered 429 and read by waybackpy as empty "
            f"(their captures silently missed); {skipped} capture(s) still 429 after "
            f"{NAIVE_RETRIES} immediate retries, skipped"
        )
    return run


# --- report ------------------------------------------------------------------------------


def print_table(runs: list[Run]) -> None:
    header = (
        f"{'client':<30} {'wall s':>7} {'bound s':>8} {'ratio':>6} "
        f"{'requests cdx/playback':>22} {'429s':>5} {'minimum cdx/playback':>21} "
        f"{'captures':>9} {'refetched':>9}"
    )
    print(header)
    print("-" * len(header))
    for run in runs:
        requests = f"{run.cdx} / {run.playback}"
        minimum = f"{run.minimum_cdx} / {run.minimum_playback}"
        print(
            f"{run.client:<30} {run.wall:>7.2f} {run.bound:>8.2f} {run.ratio:>6.2f} "
            f"{requests:>22} {run.refused:>5} {minimum:>21} {run.captures:>9} "
            f"{run.refetched:>9}"
        )


def verdicts(first: Run, second: Run) -> list[str]:
    """The issue's targets, met or not."""

    if any(run.failed for run in (first, second)):
        return ["targets: not measured (a snapverify run failed, see above)"]

    def mark(ok: bool) -> str:
        return "met" if ok else "NOT met"

    within = first.ratio <= TARGET_RATIO and second.ratio <= TARGET_RATIO
    fewest = (
        first.cdx + first.playback <= first.minimum_cdx + first.minimum_playback
        and second.playback == 0
    )
    return [
        f"target wall <= {TARGET_RATIO}x bound: {mark(within)} "
        f"(first {first.ratio:.2f}x, second {second.ratio:.2f}x)",
        f"target zero 429s: {mark(first.refused == 0 and second.refused == 0)} "
        f"({first.refused} + {second.refused})",
        f"target requests <= CDX + distinct digests (+ live, off here): {mark(fewest)} "
        f"(first run {first.cdx + first.playback} <= "
        f"{first.minimum_cdx + first.minimum_playback}; second run playback {second.playback})",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--snapshots", type=int, default=5, help="archived URLs (N)")
    parser.add_argument("--captures", type=int, default=20, help="captures per URL (M)")
    parser.add_argument("--digests", type=int, default=4, help="distinct digests per URL (K)")
    parser.add_argument(
        "--scale",
        type=float,
        default=12.0,
        help="real seconds standing for one minute of the rate limits (default 12: 5x faster)",
    )
    parser.add_argument(
        "--latency",
        type=float,
        default=0.0,
        help="milliseconds the archive holds each answer back (real time; default 0)",
    )
    parser.add_argument(
        "--concurrency", type=int, help="CheckOptions.concurrency (snapshots at once)"
    )
    parser.add_argument("--per-host", type=int, help="CheckOptions.per_host (requests in flight)")
    parser.add_argument("--skip-naive", action="store_true", help="run snapverify only")
    args = parser.parse_args(argv)
    if min(args.snapshots, args.captures, args.digests) < 1 or args.scale <= 0:
        parser.error("--snapshots, --captures, --digests and --scale must be positive")
    if args.latency < 0:
        parser.error("--latency cannot be negative")
    overrides = {
        name: value
        for name, value in (("concurrency", args.concurrency), ("per_host", args.per_host))
        if value is not None
    }
    if any(value < 1 for value in overrides.values()):
        parser.error("--concurrency and --per-host must be positive")

    corpus = build_corpus(args.snapshots, args.captures, args.digests)
    n, scale = len(corpus.snapshots), args.scale
    distinct = corpus.distinct_digests
    cdx_time = n * scale / CDX_RATE
    playback_time = distinct * scale / PLAYBACK_RATE
    # Listings and capture fetches have separate limits and overlap in time (snapshot i's
    # captures are fetched while snapshot i+1 waits for its listing slot), so the bound is
    # the slower of the two, not their sum.
    bound = max(cdx_time, playback_time)
    print(
        f"Archive: {n} URLs x {args.captures} captures, {distinct} distinct digests "
        f"({corpus.captures} captures listed); 1 minute = {scale:g} s real"
        + (f"; {args.latency:g} ms per answer." if args.latency else ".")
    )
    print(
        f"Limits: archive CDX {CDX_PER_MINUTE}/min, playback {PLAYBACK_PER_MINUTE}/min (429 "
        f"past them, no Retry-After); snapverify CDX {CDX_RATE}/min, playback "
        f"{PLAYBACK_RATE // 60}/s; live page off"
        + "".join(f"; {name} {value}" for name, value in overrides.items())
        + "."
    )
    print(
        f"Bound: max({n} CDX / {CDX_RATE} per min = {cdx_time:.2f} s, {distinct} playback / "
        f"{PLAYBACK_RATE} per min = {playback_time:.2f} s) = {bound:.2f} s "
        f"(second run: {cdx_time:.2f} s, listings only)."
    )
    print()
    runs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="snapverify-network-") as tmp:
        paths = write_local_copies(corpus, Path(tmp) / "snapshots")
        store = Path(tmp) / "store"
        with ArchiveServer(corpus, scale=scale, latency=args.latency / 1000) as server:
            common = (server, paths, store)
            first = run_snapverify(
                "snapverify, run 1", *common, bound, cached=False, overrides=overrides
            )
            second = run_snapverify(
                "snapverify, run 2", *common, cdx_time, cached=True, overrides=overrides
            )
            runs += [first, second]
            if not args.skip_naive:
                runs.append(run_naive(server, bound))
    print_table(runs)
    print()
    print(
        "Run 2 is a fresh process on the same cache; its bound counts listings only. A ratio\n"
        "under 1 is possible: N evenly spaced listings span N-1 intervals, not N."
    )
    if not args.skip_naive:
        print(
            "The naive client ignores the 24/min courtesy rate: the archive's one-minute windows\n"
            f"let a burst of {CDX_PER_MINUTE} listings and {PLAYBACK_PER_MINUTE} captures "
            "through, past which it is refused (try --snapshots 40)."
        )
    for run in runs:
        for note in run.notes:
            print(note)
    for line in verdicts(first, second):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
