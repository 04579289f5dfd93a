"""The JSON report: the public ``snapverify/check-v1`` contract (see DESIGN.md).

One snapshot is one JSON object; several are JSON Lines, one object per line.
Key order and meaning come from the models' ``as_dict()``; keys may be added,
never changed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from snapverify.models import CheckResult

__all__ = ["render_json", "render_json_lines"]


def render_json(result: CheckResult) -> str:
    """Render one check result as an indented JSON object.

    Args:
        result: the outcome of checking one snapshot.

    Returns:
        The JSON text, ending with a newline. Non-ASCII characters are kept as
        they are (UTF-8 on output), not ``\\u`` escaped.

    Raises:
        ValueError: when a number is not finite (NaN or infinity is not JSON).
    """
    return _dumps(result.as_dict(), indent=2) + "\n"


def render_json_lines(results: Sequence[CheckResult]) -> str:
    """Render several check results as JSON Lines, one compact object per line.

    Args:
        results: the outcomes of checking several snapshots, in report order.

    Returns:
        One line per result, each ending with a newline; empty for no results.

    Raises:
        ValueError: when a number is not finite (NaN or infinity is not JSON).
    """
    return "".join(_dumps(result.as_dict(), indent=None) + "\n" for result in results)


def _dumps(data: dict[str, Any], *, indent: int | None) -> str:
    # allow_nan=False: NaN/Infinity would make the output invalid JSON for every
    # strict reader; failing loudly is better than a report no script can parse.
    return json.dumps(data, ensure_ascii=False, allow_nan=False, indent=indent)
