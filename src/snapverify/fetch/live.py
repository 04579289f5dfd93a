"""Fetch the live page and say what answered, before anyone reads its text.

The outcome here comes from HTTP alone (status, redirects, errors). Whether a
200 is really the article or a not-found page, a bot wall or the home page is
decided from its content by the pipeline (:mod:`snapverify.text.pagetype`).
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from snapverify.errors import AddressRefused, FetchError
from snapverify.fetch.http import HttpClient, Response
from snapverify.models import Outcome

__all__ = [
    "LiveFetch",
    "fetch_live",
    "is_root_redirect",
    "probe_sibling",
    "sibling_url",
    "success_outcome",
]

logger = logging.getLogger(__name__)

_BLOCKED = frozenset({401, 403, 407, 429, 451})


@dataclass(frozen=True, slots=True)
class LiveFetch:
    """The live page as fetched.

    Attributes:
        url: the URL asked for.
        outcome: what answered, from HTTP alone.
        status: the final HTTP status, when there was an answer.
        response: the final answer (None when there was none).
        detail: one line saying what happened, for reports.
        reason: the fetch layer's reason word when the request failed.
    """

    url: str
    outcome: Outcome
    status: int | None
    response: Response | None
    detail: str | None = None
    reason: str | None = None


def _path(url: str) -> str:
    return urlsplit(url).path.rstrip("/")


def is_root_redirect(original: str, final: str) -> bool:
    """True when a redirect took an article URL to the top of a site."""
    if _path(original) == "":
        return False
    return _path(final) == "" and not urlsplit(final).query


def success_outcome(url: str, response: Response) -> tuple[Outcome, str | None]:
    """What a 2xx answer to ``url`` is: ``ok``, ``redirected`` or ``redirect_to_root``.

    Returns:
        ``(outcome, detail)``; the detail names where redirects ended.
    """
    if not response.history:
        return Outcome.OK, None
    if is_root_redirect(url, response.url):
        return Outcome.REDIRECT_TO_ROOT, f"redirected to the site's home page {response.url}"
    return Outcome.REDIRECTED, f"redirected to {response.url}"


async def fetch_live(url: str, *, client: HttpClient) -> LiveFetch:
    """Fetch the article's URL, following redirects hop by hop.

    Args:
        url: the original URL of the article.
        client: the HTTP client (address policy, limits, retries).

    Returns:
        The outcome: ``ok``, ``redirected``, ``redirect_to_root``, ``redirect_loop``,
        ``not_found``, ``gone``, ``blocked``, ``unreachable``, ``refused`` or ``error``.
    """
    try:
        response = await client.get(url, endpoint="live", follow_redirects=True)
    except AddressRefused as exc:
        return LiveFetch(url, Outcome.REFUSED, None, None, exc.message, "policy")
    except FetchError as exc:
        return LiveFetch(url, Outcome.parse(exc.outcome), exc.status, None, exc.message, exc.reason)
    status = response.status
    if 200 <= status < 300:
        outcome, detail = success_outcome(url, response)
        return LiveFetch(url, outcome, status, response, detail)
    if status == 404:
        return LiveFetch(url, Outcome.NOT_FOUND, status, response, "the page answers 404 Not Found")
    if status == 410:
        return LiveFetch(url, Outcome.GONE, status, response, "the page answers 410 Gone")
    if status in _BLOCKED:
        return LiveFetch(
            url, Outcome.BLOCKED, status, response, f"the site refused the request ({status})"
        )
    return LiveFetch(url, Outcome.ERROR, status, response, f"the site answered {status}")


def sibling_url(url: str, token: str | None = None) -> str:
    """A path beside ``url`` that should not exist: its parent folder plus a random name.

    ``https://site/2012/05/27/slug-a1`` gives ``https://site/2012/05/27/snapverify-<hex>``;
    the query and fragment are dropped.
    """
    parts = urlsplit(url)
    parent = parts.path.rstrip("/").rpartition("/")[0]
    name = f"snapverify-{token or secrets.token_hex(8)}"
    return urlunsplit((parts.scheme, parts.netloc, f"{parent}/{name}", "", ""))


async def probe_sibling(url: str, *, client: HttpClient) -> Response | None:
    """Fetch a random nonexistent sibling path of ``url`` (InternetArchiveBot's soft-404 probe).

    A site that answers such a path with 200 and the same page as ``url`` answers every
    unknown path that way: the page at ``url`` is a soft 404. Only worth a request when the
    live page already looks wrong (the pipeline asks only then).

    Args:
        url: the page whose site is probed.
        client: the HTTP client (endpoint ``live``).

    Returns:
        The sibling's final answer when it is a 2xx, else None (an honest 404, a refusal,
        no answer).
    """
    probe = sibling_url(url)
    try:
        response = await client.get(probe, endpoint="live", follow_redirects=True)
    except (AddressRefused, FetchError) as exc:
        logger.info("%s: sibling probe %s: %s", url, probe, exc)
        return None
    return response if 200 <= response.status < 300 else None
