"""What several test modules share: the seed, the fixtures, the report contract."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SNAPSHOT = ROOT / "snapshots" / "themoscowtimes-2012-05-27-kazakh-massacre-cover-up"
SEED = SNAPSHOT / "000_f88a3d9426c2e04a.txt"
SEED_URL = "https://www.themoscowtimes.com/2012/05/27/kazakh-massacre-cover-up-a15040"
FIXTURES = ROOT / "tests" / "fixtures" / "moscowtimes"

# The real third-party data (../shared/realdata, or $SNAPVERIFY_SHARED/realdata), read in
# place; tests that need it skip with this reason when it is absent.
SHARED = Path(os.environ.get("SNAPVERIFY_SHARED") or ROOT.parent / "shared")
REALDATA = SHARED / "realdata"


def realdata_missing(path: Path = REALDATA) -> str | None:
    """Why ``path`` (under the real data) cannot be read here, or None when it can."""
    if path.exists():
        return None
    return (
        f"real third-party data not found at {path} "
        "(set SNAPVERIFY_SHARED to the folder holding realdata/)"
    )


# The keys DESIGN.md promises ("The check report (JSON)"), in order; keys may be
# added, never removed or renamed.
RESULT_KEYS = ["schema", "snapshot", "verdict", "exit_code", "sources", "findings", "provenance"]
SNAPSHOT_KEYS = ["path", "url", "title", "sha256"]
SOURCE_KEYS = [
    "id",
    "kind",
    "url",
    "timestamp",
    "status",
    "outcome",
    "similarity",
    "sha256",
    "digest",
]
FINDING_KEYS = [
    "kind",
    "local_block",
    "insert_after",
    "field",
    "local_text",
    "remote_text",
    "diff",
    "sources",
    "first_seen",
    "last_seen",
    "substantive",
    "detail",
]
LINK_KEYS = ["url", "status", "outcome", "archive_url"]
FINDING_KINDS = [
    "edited",
    "missing",
    "added",
    "moved",
    "metadata",
    "link_rot",
    "dead_link",
    "lost_link_target",
]


class FakeClock:
    """A monotonic clock that moves only when slept on (pauses take no time); records
    every sleep. Pass it as ``clock=`` and its ``sleep`` as ``sleep=`` to a client."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)
