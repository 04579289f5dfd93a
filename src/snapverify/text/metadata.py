"""Article metadata from a page: title, byline, dates, canonical URL, site name.

Sources, most trusted first: JSON-LD (schema.org ``NewsArticle`` and kin), Open
Graph / ``article:*`` meta tags, Dublin Core and other ``<meta name>`` tags, then
the visible page (``<h1>``, ``rel=author``/byline elements, ``<time>``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from snapverify.text.bylines import person_byline
from snapverify.text.decode import repair_mojibake
from snapverify.text.html import HtmlElement, element_text
from snapverify.text.urls import resolve_url

__all__ = ["PageMetadata", "read_metadata"]


_ARTICLE_TYPES = re.compile(
    r"Article|BlogPosting|Report|NewsArticle|OpinionNewsArticle|Posting|WebPage", re.I
)
_SPACE = re.compile(r"\s+")
_ORGANIZATION = re.compile(r"Organi[sz]ation|Corporation|NewsMedia|Publisher", re.I)
_BYLINE_CLASS = re.compile(r"byline|author", re.I)
_TAGS = ("meta", "script", "h1", "title", "time", "link")
# XHTML pages wrap script content in a CDATA section, often commented out for HTML.
_CDATA = re.compile(r"^\s*(?://|/\*)?\s*<!\[CDATA\[(?:\s*\*/)?|(?://|/\*)?\s*\]\]>(?:\s*\*/)?\s*$")


@dataclass(frozen=True, slots=True)
class PageMetadata:
    title: str | None = None
    titles: tuple[str, ...] = ()  # every title candidate, best first
    byline: str | None = None
    published: str | None = None
    modified: str | None = None
    url: str | None = None
    site_name: str | None = None


def _clean(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    if not value.isascii():
        value = repair_mojibake(value)
    value = _SPACE.sub(" ", value).strip()
    return value or None


def _json_ld_objects(scripts: list[HtmlElement]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for script in scripts:
        if (script.get("type") or "").strip().lower() != "application/ld+json":
            continue
        try:
            data = json.loads(_CDATA.sub("", script.text or ""))
        except (ValueError, RecursionError):  # RecursionError: nested ~1,000 deep
            continue
        pending: list[Any] = [data]
        while pending:
            item = pending.pop()
            if isinstance(item, list):
                pending.extend(item)
            elif isinstance(item, dict):
                if "@graph" in item:
                    pending.append(item["@graph"])
                found.append(item)
    return found


def _type_matches(item: dict[str, Any]) -> bool:
    kind = item.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return any(isinstance(k, str) and _ARTICLE_TYPES.search(k) for k in kinds)


def _names(value: Any) -> list[str]:
    # A loop, not recursion: JSON-LD lists may nest hundreds deep.
    names: list[str] = []
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            names.append(item)
        elif isinstance(item, dict):
            if _ORGANIZATION.search(str(item.get("@type") or "")):
                continue  # the publisher named as author: a byline names people
            name = item.get("name")
            if isinstance(name, str):
                names.append(name)
        elif isinstance(item, list):
            pending.extend(reversed(item))
    return names


def _meta(metas: list[HtmlElement]) -> dict[str, str]:
    values: dict[str, str] = {}
    for meta in metas:
        key = (meta.get("property") or meta.get("name") or meta.get("itemprop") or "").lower()
        content = _clean(meta.get("content"))
        if key and content and key not in values:
            values[key] = content
    return values


def _first(*values: str | None) -> str | None:
    for value in values:
        if value:
            return value
    return None


def _meta_byline(meta: dict[str, str]) -> str | None:
    for key in ("author", "dc.creator", "sailthru.author"):
        value = meta.get(key)
        if value and not value.lower().startswith(("http://", "https://")):
            byline = person_byline(value)
            if byline:
                return byline
    return None


def _in_comments(element: HtmlElement) -> bool:
    for ancestor in element.iterancestors():
        if ancestor.tag == "aside":
            return True
        marks = f"{ancestor.get('class') or ''} {ancestor.get('id') or ''}".lower()
        if "comment" in marks:
            return True
    return False


def _visible_byline(root: HtmlElement) -> str | None:
    # A Python pass: XPath's contains() over every element costs several times more.
    for element in root.iter():
        get = element.get
        classes = get("class") or ""
        if not (
            get("rel") == "author"
            or get("itemprop") == "author"
            or ("yline" in classes or "uthor" in classes)
        ) or element.tag in ("meta", "link"):
            continue
        if classes and not _BYLINE_CLASS.search(classes):
            continue
        if _in_comments(element):
            continue  # a reader's name under a comment
        text = _clean(element_text(element))
        if text and len(text) <= 100 and (byline := person_byline(text)):
            return byline  # a date, a desk or a teaser in an "author" element is not
    return None


def read_metadata(root: HtmlElement, base: str | None) -> PageMetadata:
    """Read article metadata from a parsed page (before scripts are stripped).

    Args:
        root: the parsed page.
        base: the URL relative URLs resolve against.

    Returns:
        What the page says about itself; fields it does not give are ``None``.
    """
    # One pass over the tree gathers every element read below.
    found: dict[str, list[HtmlElement]] = {tag: [] for tag in _TAGS}
    for element in root.iter(*_TAGS):
        found[element.tag].append(element)
    meta = _meta(found["meta"])
    article: dict[str, Any] = {}
    for item in _json_ld_objects(found["script"]):
        if _type_matches(item):
            article = item
            break
    ld_authors = [
        name for name in (person_byline(_clean(n)) for n in _names(article.get("author"))) if name
    ]
    # Each source is read only when the ones before it name nobody.
    byline = ", ".join(ld_authors) or _meta_byline(meta) or _visible_byline(root)

    h1 = None
    for heading in found["h1"]:
        h1 = _clean(element_text(heading))
        if h1:
            break
    title_element = found["title"][0] if found["title"] else None
    page_title = _clean(element_text(title_element)) if title_element is not None else None
    candidates = [
        _clean(article.get("headline")),
        meta.get("og:title"),
        meta.get("twitter:title"),
        h1,
        meta.get("dc.title"),
        page_title,
    ]
    titles = tuple(dict.fromkeys(title for title in candidates if title))

    time_published = None
    for time in found["time"]:
        if time.get("itemprop") == "datePublished" or time.get("pubdate") is not None:
            time_published = _clean(time.get("datetime"))
            break
    published_candidates = [
        _clean(article.get("datePublished")),
        meta.get("article:published_time"),
        meta.get("datepublished"),
        meta.get("dc.date.issued"),
        meta.get("pubdate"),
        meta.get("publishdate"),
        meta.get("date"),
        time_published,
    ]
    modified_candidates = [
        _clean(article.get("dateModified")),
        meta.get("article:modified_time"),
        meta.get("og:updated_time"),
        meta.get("datemodified"),
        meta.get("last-modified"),
    ]
    modified = _first(*modified_candidates)
    # A page that fills its "published" field with the last modification time says
    # nothing about publication there: another field that differs is the one to read.
    modified_times = {value for value in modified_candidates if value}
    published = _first(
        *(value for value in published_candidates if value not in modified_times),
        *published_candidates,
    )
    canonical = None
    for link in found["link"]:
        if (link.get("rel") or "").lower() == "canonical":
            canonical = resolve_url(link.get("href"), base)
            break
    url = _first(canonical, resolve_url(meta.get("og:url"), base))
    publisher = article.get("publisher")
    site_name = _first(
        meta.get("og:site_name"),
        _clean(publisher.get("name")) if isinstance(publisher, dict) else None,
    )
    return PageMetadata(
        title=titles[0] if titles else None,
        titles=titles,
        byline=byline,
        published=published,
        modified=modified,
        url=url,
        site_name=site_name,
    )
