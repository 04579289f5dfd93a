"""Read a Markdown or plain-text local copy into a :class:`~snapverify.models.Document`.

Both are read as CommonMark (plain text is valid CommonMark) with markdown-it-py,
walking the token stream: markup never counts as text, links keep only their
visible text, and each block keeps its original visible text (runs of whitespace
collapsed). Metadata comes from YAML front matter, then from the document's own
header lines (title, byline, date, publication) and an ``Original url:`` footer.
Header and footer lines are not body blocks.

The header rules are generic, never site-specific: see :func:`read_markdown`.
"""

from __future__ import annotations

import html
import logging
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token

from snapverify.models import Block, BlockKind, Document, Extraction, Link
from snapverify.text.dates import parse_date_line
from snapverify.text.normalise import word_count

__all__ = ["parse_date_line", "read_markdown"]

logger = logging.getLogger(__name__)

_MD = MarkdownIt("commonmark")

_PREAMBLE = 6  # header lines are looked for among this many leading blocks
_FRONT_MATTER_MAX = 65_536
_FRONT_MATTER_CLOSE = re.compile(r"^(?:---|\.\.\.)[ \t]*\r?$", re.MULTILINE)
_YAML_KEY_LINE = re.compile(r"[A-Za-z_][\w.-]*[ \t]*:(?:\s|$)")
# Sentence punctuation, Latin and that of CJK, Arabic, Devanagari, Burmese and Thai text.
_SENTENCE_END = re.compile(
    r"[.!?:;\u3002\uff01\uff1f\uff1b\uff1a\uff0e\u061f\u06d4\u0964\u104b]"
    r"[\"'\u201d\u2019\u00bb)\]\u300d\u300f\uff09]*$"
)
_BYLINE = re.compile(r"(?:by|von|par|por)\s*:?\s+(.+)", re.IGNORECASE)
_FIELD_SEPARATOR = re.compile(r"\s+[|/\u00b7\u2022\u2013\u2014]\s+|\s+-\s+")
# A year or a clock time: a line holding one is a date line, never a publication's name.
_DATE_LIKE = re.compile(r"\d{4}|\d[:.]\d\d")
_TIME_ONLY = re.compile(
    r"\d{1,2}[:.]\d{2}\s*(?:[ap]\.?\s?m\.?)?\s*(?:[A-Z]{2,5}|[+-]\d{2}:?\d{2})?", re.IGNORECASE
)
_COMMA = re.compile(r",\s*")
_FOOTER = re.compile(
    r"(?:original\s+(?:url|link|address)|source(?:\s+url)?|url)\s*:\s*(\S+)", re.IGNORECASE
)
_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)
_A_OPEN = re.compile(
    r"""<a\s[^>]*?\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+))""", re.IGNORECASE
)
_A_CLOSE = re.compile(r"</a\s*>", re.IGNORECASE)
_SMALL_WORDS = frozenset(
    re.findall(
        r"\w+", "a an and at de del der des die das du el for in la le les of on the to und y"
    )
)
# Short Title Case labels that name a section or an ad slot, never a publication.
_NOT_PUBLICATION = frozenset(
    re.findall(
        r"\w+",
        "advertisement analysis business comment culture editorial features home news "
        "opinion politics sport sports world",
    )
)


@dataclass(slots=True)
class _Raw:
    """A block as read, before header and footer lines are taken out."""

    text: str
    kind: BlockKind
    links: list[tuple[str, str | None]] = field(default_factory=list)
    level: int = 0  # heading level; 0 for anything else


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _href(token: Token) -> str | None:
    value = token.attrGet("href")
    return None if value is None else str(value)


def _inline(token: Token) -> tuple[str, list[tuple[str, str | None]]]:
    """Visible text and links of an inline token; markup contributes nothing."""
    parts: list[str] = []
    links: list[tuple[str, str | None]] = []
    start: int | None = None
    target: str | None = None
    for child in token.children or ():
        kind = child.type
        if kind in ("text", "code_inline"):
            parts.append(child.content)
        elif kind in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif kind == "link_open":
            start, target = len(parts), _href(child)
        elif kind == "link_close" and start is not None:
            links.append((_collapse("".join(parts[start:])), target))
            start = None
        elif kind == "html_inline":
            content = child.content
            if _BR.fullmatch(content):
                parts.append(" ")
            elif start is None and (match := _A_OPEN.match(content)):
                start = len(parts)
                target = html.unescape(next(g for g in match.groups() if g is not None))
            elif start is not None and _A_CLOSE.fullmatch(content):
                links.append((_collapse("".join(parts[start:])), target))
                start = None
        # images, emphasis and other inline HTML are markup: no text
    return _collapse("".join(parts)), links


def _html_text(content: str) -> str:
    """Text of a raw HTML block: tags, comments, scripts and styles dropped (linear)."""
    lowered = content.lower()
    out: list[str] = []
    pos, end = 0, len(content)
    while pos < end:
        lt = content.find("<", pos)
        if lt < 0:
            out.append(content[pos:])
            break
        out.append(content[pos:lt])
        out.append(" ")
        if lowered.startswith("<!--", lt):
            close = lowered.find("-->", lt + 4)
            pos = end if close < 0 else close + 3
            continue
        for name in ("script", "style"):
            if lowered.startswith("<" + name, lt):
                close = lowered.find("</" + name, lt)
                lt = end if close < 0 else close
                break
        gt = content.find(">", lt)
        pos = end if gt < 0 else gt + 1
    return _collapse(html.unescape("".join(out)))


def _read_blocks(tokens: list[Token]) -> list[_Raw]:
    """Turn the block token stream into blocks, one per paragraph, heading, item, quote."""
    out: list[_Raw] = []
    containers: list[str] = []  # "list_item" or "blockquote", innermost last
    pending: _Raw | None = None  # the paragraphs of the innermost list item so far

    def flush() -> None:
        nonlocal pending
        if pending is not None and pending.text:
            out.append(pending)
        pending = None

    def kind_here() -> BlockKind:
        if containers and containers[-1] == "list_item":
            return BlockKind.LIST_ITEM
        return BlockKind.QUOTE if containers else BlockKind.PARAGRAPH

    for index, token in enumerate(tokens):
        kind = token.type
        if kind in ("list_item_open", "blockquote_open"):
            flush()
            containers.append(kind[: -len("_open")])
        elif kind in ("list_item_close", "blockquote_close"):
            flush()
            if containers:
                containers.pop()
        elif kind == "paragraph_open":
            text, links = _inline(tokens[index + 1])
            if containers and containers[-1] == "list_item":
                if pending is None:
                    pending = _Raw(text, BlockKind.LIST_ITEM, links)
                else:
                    pending.text = f"{pending.text} {text}".strip()
                    pending.links.extend(links)
            elif text:
                out.append(_Raw(text, kind_here(), links))
        elif kind == "heading_open":
            flush()
            text, links = _inline(tokens[index + 1])
            if text:
                out.append(_Raw(text, BlockKind.HEADING, links, level=int(token.tag[1:])))
        elif kind in ("fence", "code_block"):
            flush()
            if token.content.strip():
                out.append(_Raw(token.content.strip("\n").rstrip(), BlockKind.PREFORMATTED))
        elif kind == "html_block":
            flush()
            if text := _html_text(token.content):
                out.append(_Raw(text, kind_here()))
    flush()
    return out  # a block without text (an image, an empty link) is dropped with its links


def _front_matter(text: str) -> tuple[dict[str, Any], str, list[str]]:
    """Split YAML front matter off ``text``: (values, rest of the text, notes)."""
    body = text[1:] if text.startswith("\ufeff") else text
    first_end = body.find("\n")
    if first_end < 0 or body[:first_end].rstrip() != "---":
        return {}, text, []
    close = _FRONT_MATTER_CLOSE.search(body, first_end + 1, _FRONT_MATTER_MAX)
    if close is None:
        return {}, text, []
    inner = body[first_end + 1 : close.start()]
    lines = [line for line in inner.splitlines() if line.strip() and not line.startswith("#")]
    if lines and not _YAML_KEY_LINE.match(lines[0]):
        return {}, text, []  # a thematic break, not front matter
    rest = body[close.end() :]
    try:
        values = yaml.safe_load(inner)
    except (yaml.YAMLError, RecursionError) as exc:  # PyYAML recurses per nesting level
        logger.debug("front matter is not valid YAML: %s", exc)
        return {}, rest, ["front matter ignored: not valid YAML"]
    if values is None:
        return {}, rest, []
    if not isinstance(values, dict):
        return {}, rest, ["front matter ignored: not a YAML mapping"]
    return {str(key).lower(): value for key, value in values.items()}, rest, []


def _fm_text(value: Any) -> str | None:
    if isinstance(value, str):
        return _collapse(value) or None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def _fm_people(value: Any) -> str | None:
    if isinstance(value, dict):
        value = [value]
    if isinstance(value, list):
        names = [_fm_text(item.get("name") if isinstance(item, dict) else item) for item in value]
        return ", ".join(name for name in names if name) or None
    return _fm_text(value)


def _fm_date(value: Any) -> str | None:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, str):
        return parse_date_line(value)
    return None


def _fm_fields(values: dict[str, Any]) -> dict[str, str]:
    """The metadata front matter gives, under the names a Document uses."""
    keys = {
        "url": ("url", "original_url", "source_url", "canonical_url"),
        "title": ("title",),
        "byline": ("byline", "author", "authors"),
        "published": ("date", "published", "published_at", "date_published"),
        "modified": ("modified", "updated", "date_modified", "last_modified"),
        "publication": ("publication", "site", "site_name", "publisher"),
    }
    found: dict[str, str] = {}
    for name, aliases in keys.items():
        for alias in aliases:
            if alias not in values:
                continue
            value = values[alias]
            if name == "byline":
                parsed = _fm_people(value)
            elif name in ("published", "modified"):
                parsed = _fm_date(value)
            else:
                parsed = _fm_text(value)
            if parsed:
                found[name] = parsed
                break
    return found


def _is_prose(text: str) -> bool:
    return word_count(text) > 20 or _SENTENCE_END.search(text) is not None


def _byline(text: str) -> dict[str, str] | None:
    match = _BYLINE.fullmatch(text)
    if match is None or _is_prose(text):
        return None
    names = match.group(1).strip(" ,")
    if not names or names[0].islower():
        return None
    for comma in _COMMA.finditer(names):  # "By Robert Jones, May 27, 2012"
        published = parse_date_line(names[comma.end() :])
        if published:
            return {"byline": names[: comma.start()], "published": published}
    return {"byline": names} if word_count(names) <= 10 else None


def _header_fields(text: str) -> dict[str, str] | None:
    """Byline and dates of a header line ("By X", "May 27, 2012", "By X | May 27, 2012")."""
    if len(text) > 300:
        return None
    found: dict[str, str] = {}
    for part in _FIELD_SEPARATOR.split(text):
        part = part.strip()
        if found and _TIME_ONLY.fullmatch(part):
            continue  # "May 27, 2012 / 10:00 PM UTC": the time of the date before it
        published = parse_date_line(part)
        if published:
            updated = part.lower().startswith(("updated", "last", "modified"))
            fields = {"modified" if updated else "published": published}
        else:
            fields = _byline(part) or {}
        if not fields or fields.keys() & found.keys():
            return None
        found.update(fields)
    return found or None


def _is_publication(text: str) -> bool:
    words = text.split()
    if not 0 < word_count(text) <= 6 or _is_prose(text) or text.lower() in _NOT_PUBLICATION:
        return False
    if _DATE_LIKE.search(text):
        return False
    if len(words) == 1 and re.fullmatch(r"[\w-]+(?:\.[\w-]+)+", text):
        return True  # a domain name: "themoscowtimes.com"
    first_letters = [next((c for c in word if c.isalpha()), "") for word in words]
    if not first_letters[0] or first_letters[0].islower() or text.lower() == text:
        # A lower-case start is prose; text without capitals (Chinese, Thai, Arabic)
        # has no Title Case to tell a publication's name from a short lede.
        return False
    return all(
        not letter.islower() or word.lower() in _SMALL_WORDS
        for word, letter in zip(words, first_letters, strict=True)
    )


def _header(raws: list[_Raw], title_given: str | None) -> tuple[set[int], dict[str, str]]:
    """Find the header lines among the leading blocks: (their indexes, the fields they give)."""
    header: set[int] = set()
    found: dict[str, str] = {}
    start = 0
    first = raws[0] if raws else None
    if first is not None and first.kind is BlockKind.HEADING:
        if title_given is None or first.level == 1 or first.text == title_given:
            header.add(0)
            found["title"] = first.text
            start = 1
    elif (
        first is not None
        and title_given is None
        and len(raws) > 1
        and first.kind is BlockKind.PARAGRAPH
        and not _is_prose(first.text)
        and _header_fields(first.text) is None
    ):
        header.add(0)
        found["title"] = first.text
        start = 1
    after_header = bool(header)
    for index in range(start, min(len(raws), _PREAMBLE)):
        raw = raws[index]
        if raw.kind not in (BlockKind.PARAGRAPH, BlockKind.HEADING):
            break
        fields = _header_fields(raw.text)
        if fields and not fields.keys() & found.keys():
            found.update(fields)
        elif _is_prose(raw.text):
            break
        elif (
            after_header
            and "publication" not in found
            and raw.kind is BlockKind.PARAGRAPH
            and _is_publication(raw.text)
        ):
            found["publication"] = raw.text
        else:
            after_header = False
            continue
        header.add(index)
        after_header = True
    return header, found


def _web_url(value: str | None) -> str | None:
    if not value:
        return None
    value = value.strip().strip("<>")
    try:
        parts = urlsplit(value)
    except ValueError:  # "http://[": meant as a web URL; the reader says it is not one
        return value if value[:8].lower().startswith(("http://", "https://")) else None
    return value if parts.scheme in ("http", "https") and parts.netloc else None


def _footer_url(raw: _Raw) -> str | None:
    if raw.kind is not BlockKind.PARAGRAPH:
        return None
    match = _FOOTER.fullmatch(raw.text)
    if match is None:
        return None
    written = match.group(1).rstrip(".,;")
    return next((url for _, url in raw.links if _web_url(url)), None) or _web_url(written)


def _target(href: str | None, base: str | None) -> str | None:
    """A link's target, ``None`` when it was lost (``#``, empty or blank)."""
    if href is None or unquote(href).strip() in ("", "#"):
        return None
    if base and not urlsplit(href).scheme:
        return urljoin(base, href)
    return href


def read_markdown(text: str, *, url: str | None = None) -> Document:
    """Read a Markdown or plain-text local copy.

    Header lines are found among the first six blocks, stopping at the first that
    reads as prose (more than 20 words, or ending in sentence punctuation): the
    title is the leading heading, or else a short first line when front matter gives
    none; then a byline (``By X``, ``Von X``, ``Par X``, ``Por X``), a date line, and
    a short Title Case publication line right after one of those. A last block
    ``Original url: URL`` (or ``Source: URL``) gives the URL. Front matter values win
    over header lines.

    Args:
        text: the decoded document.
        url: the article's original URL; overrides front matter and footer.

    Returns:
        The document: body blocks with their original visible text, links (``url``
        ``None`` where the target was lost; ``block`` ``None`` outside the body),
        metadata, and ``Extraction.MARKDOWN``.
    """
    values, rest, notes = _front_matter(text)
    given = _fm_fields(values)
    raws = _read_blocks(_MD.parse(rest))
    footer = _footer_url(raws[-1]) if raws else None
    if footer:
        raws.pop()
    header, found = _header(raws, given.get("title"))
    meta = found | given
    base = url or meta.get("url") or footer
    own_title = found.get("title")
    blocks: list[Block] = []
    links: list[Link] = []
    for index, raw in enumerate(raws):
        in_body = index not in header
        for link_text, href in raw.links:
            links.append(Link(link_text, _target(href, base), len(blocks) if in_body else None))
        if in_body:
            blocks.append(Block(raw.text, raw.kind))
    return Document(
        blocks=tuple(blocks),
        links=tuple(links),
        title=meta.get("title"),
        byline=meta.get("byline"),
        published=meta.get("published"),
        modified=meta.get("modified"),
        publication=meta.get("publication"),
        url=base,
        extraction=Extraction.MARKDOWN,
        notes=tuple(notes),
        title_variants=(own_title,) if own_title and own_title != meta.get("title") else (),
    )
