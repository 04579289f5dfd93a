"""notify.py: the webhook goes through the address policy; nothing is sent without news."""

from __future__ import annotations

import pytest

from servers import WebhookServer
from snapverify.errors import AddressRefused
from snapverify.fetch.policy import AddressPolicy
from snapverify.models import Change, CheckResult, Finding, FindingKind, SnapshotInfo, Verdict
from snapverify.notify import notify


def _result(change: Change | None) -> CheckResult:
    finding = Finding(FindingKind.EDITED, True, "edited", local_text="a", change=change)
    return CheckResult(
        snapshot=SnapshotInfo("a.md", "https://example.org/a", None, "s"),
        verdict=Verdict.CHANGED,
        exit_code=1,
        sources=(),
        findings=(finding,),
        provenance=None,
    )


def test_a_private_webhook_is_refused_without_a_connection() -> None:
    asked: list[str] = []

    async def resolver(host: str, _port: int) -> list[str]:
        asked.append(host)
        return ["10.1.2.3"]

    with WebhookServer() as hook:
        (delivery,) = notify(
            "http://hooks.internal.example/x",
            [_result(Change.NEW)],
            policy=AddressPolicy(resolver=resolver),
        )
        loopback = notify(hook.url, [_result(Change.NEW)], policy=AddressPolicy())
        assert hook.received() == []
    assert asked == ["hooks.internal.example"]
    assert not delivery.ok and delivery.status is None and "10.1.2.3" in (delivery.error or "")
    assert [(d.ok, d.status) for d in loopback] == [(False, None)]
    assert "loopback" in (loopback[0].error or "")


def test_a_url_that_is_not_http_is_refused_outright() -> None:
    with pytest.raises(AddressRefused):
        notify("file:///etc/passwd", [_result(Change.NEW)], policy=AddressPolicy())


def test_only_reports_with_new_findings_are_sent() -> None:
    with WebhookServer() as hook:
        policy = AddressPolicy(allow_private=True)
        assert notify(hook.url, [_result(Change.ONGOING), _result(None)], policy=policy) == []
        (delivery,) = notify(
            hook.url, [_result(Change.ONGOING), _result(Change.NEW)], policy=policy
        )
        assert delivery.ok and delivery.status == 204
        assert len(hook.received()) == 1
