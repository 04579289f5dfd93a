"""Notifications of new findings: a webhook POST of the JSON report.

``check --notify URL`` (and ``watch --notify URL``) POSTs, for each snapshot with
a substantive, unacknowledged finding that is new since its last check, that
snapshot's JSON report (the ``snapverify/check-v1`` object ``--format json``
prints) to ``URL``, with ``Content-Type: application/json`` and the header
``X-Snapverify-Event: new-findings``. Nothing is sent when nothing is new.

The request goes through the address policy of the check (a private or loopback
webhook needs ``--allow-private-addresses`` or ``--allow-network``), follows no
redirect, and is not retried. A failed notification is reported to the caller (who
tells the user, once) and logged at INFO; it never changes the check's exit code.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import httpx

from snapverify._version import __version__
from snapverify.errors import SnapverifyError
from snapverify.fetch._transport import network_error, policy_transport
from snapverify.fetch.policy import AddressPolicy
from snapverify.models import CheckResult
from snapverify.pipeline.schedule import new_findings

__all__ = ["EVENT_HEADER", "Delivery", "notify"]

logger = logging.getLogger(__name__)

EVENT_HEADER: Final = "X-Snapverify-Event"
_TIMEOUT: Final = 30.0


@dataclass(frozen=True, slots=True)
class Delivery:
    """What became of one notification."""

    snapshot: str
    status: int | None  # the webhook's HTTP status, None when no answer
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.status is not None and 200 <= self.status < 300


def notify(
    url: str,
    results: Sequence[CheckResult],
    *,
    policy: AddressPolicy,
    timeout: float = _TIMEOUT,
) -> list[Delivery]:
    """POST the report of each result with new findings to ``url``.

    Args:
        url: the webhook.
        results: check results annotated by the history.
        policy: the address policy the webhook's address must pass.
        timeout: seconds for the connection and the answer.

    Returns:
        One delivery per report sent (none when nothing is new).

    Raises:
        AddressRefused: ``url`` is refused by the policy's checks of its text.
    """
    policy.check_url(url)
    due = [result for result in results if new_findings(result)]
    if not due:
        return []
    return asyncio.run(_send(url, due, policy, timeout))


async def _send(
    url: str, results: Sequence[CheckResult], policy: AddressPolicy, timeout: float
) -> list[Delivery]:
    deliveries = []
    async with httpx.AsyncClient(
        transport=policy_transport(policy),
        trust_env=False,
        follow_redirects=False,
        timeout=httpx.Timeout(timeout),
        headers={"User-Agent": f"snapverify/{__version__}", EVENT_HEADER: "new-findings"},
    ) as client:
        for result in results:
            body = json.dumps(result.as_dict(), ensure_ascii=False).encode("utf-8")
            snapshot = result.snapshot.path
            try:
                response = await client.post(
                    url, content=body, headers={"Content-Type": "application/json"}
                )
            except SnapverifyError as exc:  # the policy refused the webhook's address
                error = exc.describe()
                logger.info("notification to %s refused: %s", url, error)
                deliveries.append(Delivery(snapshot, None, error))
                continue
            except httpx.HTTPError as exc:
                error = network_error(exc, url, in_body=False).message
                logger.info("notification to %s failed: %s", url, error)
                deliveries.append(Delivery(snapshot, None, error))
                continue
            delivery = Delivery(snapshot, response.status_code)
            if not delivery.ok:
                delivery = Delivery(
                    snapshot, response.status_code, f"the webhook answered {response.status_code}"
                )
                logger.info("notification to %s: answered %s", url, response.status_code)
            deliveries.append(delivery)
    return deliveries
