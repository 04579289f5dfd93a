"""What reads as article prose, and what is page furniture around it.

Generic rules about pages, used by both extractions: names of classes and ids
("caption", "byline", "meta"), schema.org fields, end notes (credits set in italics,
contact lines), headlines. No rule names a site.
"""

from __future__ import annotations

import re

from snapverify.models import BlockKind
from snapverify.text.html import HtmlElement, RawBlock, element_text, is_boilerplate_element

__all__ = [
    "PROSE_WORDS",
    "SEPARATOR",
    "end_note",
    "inline_furniture",
    "is_attribution",
    "is_headline",
    "is_non_prose_name",
    "path_excluded",
    "reads_as_prose",
    "shape",
]

# Unmatched text counts as article prose from this many words.
PROSE_WORDS = 5
_SHINGLE = 3
_NON_PROSE = re.compile(
    r"captions?|credits?|figure|figcaption|photos?|images?|img|gallery|videos?|media|embed|"
    r"tweets?|twitter-tweet|byline|authors?|dateline|timestamp|meta|breadcrumbs?|topics?|"
    r"keywords?|badges?|buttons?|btn|icons?"
)
_NAME_WORDS = re.compile(r"[\s_-]+")
_NON_PROSE_TAGS = frozenset({"figure", "figcaption", "caption", "h1", "address", "time", "a"})
# schema.org fields that label the article rather than tell it.
_FIELD_ITEMPROPS = frozenset(
    {
        "about",
        "articleSection",
        "author",
        "dateCreated",
        "dateModified",
        "datePublished",
        "genre",
        "headline",
        "image",
        "inLanguage",
        "keywords",
        "name",
        "publisher",
        "thumbnailUrl",
    }
)
_SENTENCE_END = re.compile(r"[.!?…:;\"'”’»)\]]\s*$")
# A copyright sign marks a photo credit or the site's rights line, not a passage.
_CREDIT = re.compile("[©ⓒ]|\\(c\\)\\s+\\d{4}", re.IGNORECASE)
_ARTICLE_TAGS = frozenset({"article", "main", "body"})
_EMPHASIS = frozenset({"em", "i", "strong", "b", "small"})
_CONTACT = re.compile(r"[\w.+-]+@[\w-]+\.\w|(?<![\w@])@\w{2,}|https?://|\bwww\.\w")
SEPARATOR = re.compile(r"^[\s_*=~#•·\-]{3,}$")
_BYLINE = re.compile(r"^\s*(?:by|von|par|por|di|door|av)\s+\S", re.IGNORECASE)


def is_non_prose_name(element: HtmlElement) -> bool:
    if element.tag in _NON_PROSE_TAGS:
        return True
    if element.tag in _ARTICLE_TAGS:
        return False  # "format-gallery", "meta-position-corners": the post's kind, not a caption
    # A link's text (a teaser card wrapping a headline) and schema.org fields (keywords,
    # author name) are not prose of the article.
    itemprop = element.get("itemprop")
    if itemprop and not _FIELD_ITEMPROPS.isdisjoint(itemprop.split()):
        return True
    names = f"{element.get('class', '')} {element.get('id', '')}"
    return any(_NON_PROSE.match(word) for word in _NAME_WORDS.split(names.lower()) if word)


def path_excluded(element: HtmlElement, stop: HtmlElement, cache: dict[HtmlElement, bool]) -> bool:
    """Whether any element from ``element`` up to (not including) ``stop`` is furniture."""
    chain: list[HtmlElement] = []
    node: HtmlElement | None = element
    verdict = False
    while node is not None and node is not stop:
        cached = cache.get(node)
        if cached is not None:
            verdict = cached
            break
        chain.append(node)
        if is_boilerplate_element(node) or is_non_prose_name(node):
            verdict = True
            break
        node = node.getparent()
    for item in chain:
        cache[item] = verdict or cache.get(item, False)
    return verdict


_STYLE_EMPHASIS = re.compile(r"font-(?:weight\s*:\s*(?:bold|[6-9]00)|style\s*:\s*italic)", re.I)


def _emphasised_share(element: HtmlElement, length: int) -> float:
    style = element.get("style")
    if style is not None and _STYLE_EMPHASIS.search(style):
        return 1.0  # the block itself is set in bold or italics
    emphasised = 0
    for node in element.iter(*_EMPHASIS):
        if node is element:
            continue
        parent = node.getparent()
        nested = False
        while parent is not None and parent is not element:
            if parent.tag in _EMPHASIS:
                nested = True
                break
            parent = parent.getparent()
        if not nested:
            emphasised += len(" ".join(element_text(node).split()))
    return emphasised / length if length else 0.0


def end_note(block: RawBlock) -> bool:
    """An editor's note, credit line or contact line at the edge of an article.

    Typography marks them: set wholly in italics or bold, or carrying an e-mail
    address, a handle or a web address.
    """
    if _CONTACT.search(block.text) or block.link_chars > 0.15 * len(block.text):
        return True
    return _emphasised_share(block.element, len(block.text)) >= 0.8


def shape(element: HtmlElement) -> tuple[object, ...]:
    parent = element.getparent()
    if parent is None:
        return (element.tag, element.get("class"))
    return (element.tag, element.get("class"), parent.tag, parent.get("class"))


def reads_as_prose(block: RawBlock, words: int) -> bool:
    if words < PROSE_WORDS or _CREDIT.search(block.text):
        return False
    if block.link_chars * 2 > len(block.text):
        return False
    if _BYLINE.match(block.text) and words <= 10:
        return False
    if block.kind is BlockKind.HEADING:
        return True
    return _SENTENCE_END.search(block.text) is not None or words >= 15


def is_headline(keys: tuple[str, ...], titles: set[tuple[str, ...]]) -> bool:
    """Whether a block is the page's headline, whole or inside a longer title."""
    if keys in titles:
        return True
    width = len(keys)
    return width >= _SHINGLE and any(
        title[i : i + width] == keys for title in titles for i in range(len(title) - width + 1)
    )


# "— Neil Gaiman", "― Reuters", "- John Smith, 2019": a dash, then a few words.
_ATTRIBUTION = re.compile(r"^\s*(?:[\u2014\u2013\u2015~]|-{1,2}(?=\s))\s*\S")
_ATTRIBUTION_WORDS = 15
_QUOTE_NAME = re.compile(r"quote|testimonial|cite", re.IGNORECASE)


def _quote_holder(element: HtmlElement, levels: int = 4) -> HtmlElement | None:
    node: HtmlElement | None = element
    for _ in range(levels):
        if node is None:
            return None
        if node.tag in ("blockquote", "q", "figure") or _QUOTE_NAME.search(
            f"{node.get('class', '')} {node.get('id', '')}"
        ):
            return node
        node = node.getparent()
    return None


def is_attribution(block: RawBlock, quote: RawBlock) -> bool:
    """Whether ``block`` is the attribution line ("— Name") of the quote block before it."""
    if not _ATTRIBUTION.match(block.text) or len(block.text.split()) > _ATTRIBUTION_WORDS:
        return False
    holder = _quote_holder(block.element)
    if holder is None:
        return False
    node: HtmlElement | None = quote.element
    while node is not None:
        if node is holder:
            return True
        node = node.getparent()
    return False


# Inline elements (a span inside a paragraph) whose names say caption or credit.
def inline_furniture(block: RawBlock) -> bool:
    """Whether nearly all of a block's text sits in an inline caption, credit or card.

    ``<p><span class="wf_caption"><img> The map. (NASA)</span></p>``: the paragraph
    is a caption even though the paragraph itself has no telling name.
    """
    length = len(block.text)
    for node in block.element.iterdescendants():
        if not isinstance(node.tag, str) or node.tag == "a":
            continue
        if node.get("class") is None and node.get("id") is None and node.get("itemprop") is None:
            continue
        if not (is_non_prose_name(node) or is_boilerplate_element(node)):
            continue
        text = " ".join(element_text(node).split())
        if len(text) >= 0.8 * length:
            return True
    return False
