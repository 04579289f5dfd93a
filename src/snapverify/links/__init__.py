"""Link rot: the original URL, outbound links, and link targets lost in the local copy.

``check`` asks each distinct URL once per run (HEAD, then GET when suspicious) and keeps
the answers in the store (``cache``); ``recover`` matches lost targets to the captures'
links; ``audit`` turns all of it into the link table and link findings; ``robust``
writes a repaired copy (``fix-links``).
"""

from snapverify.links.audit import LinkAudit, audit_links, link_rot, newest_good_capture
from snapverify.links.cache import DEFAULT_TTL, LinkCache
from snapverify.links.check import CONFIRM_AFTER, LinkChecker, LinkStatus, check_url, is_dead
from snapverify.links.recover import Candidate, Recovered, page_anchors, recover_lost
from snapverify.links.robust import Repair, repair_html, repair_markdown

__all__ = [
    "CONFIRM_AFTER",
    "DEFAULT_TTL",
    "Candidate",
    "LinkAudit",
    "LinkCache",
    "LinkChecker",
    "LinkStatus",
    "Recovered",
    "Repair",
    "audit_links",
    "check_url",
    "is_dead",
    "link_rot",
    "newest_good_capture",
    "page_anchors",
    "recover_lost",
    "repair_html",
    "repair_markdown",
]
