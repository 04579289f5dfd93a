"""HTML to candidate text blocks: parsing, clean-up, archive URL unwrapping.

Everything that turns page bytes into a flat list of text blocks lives here; which
of those blocks are the article is decided in :mod:`snapverify.text.extract`.
lxml parses (libxml2, linear time, no entity expansion, no network) and the walk
is iterative, so pathological nesting costs no recursion.
"""

from __future__ import annotations

import re

import lxml.etree as etree

from snapverify.models import BlockKind
from snapverify.text.decode import repair_mojibake
from snapverify.text.urls import resolve_url, unwrap_archive_url

__all__ = [
    "BLOCK_TAGS",
    "HtmlElement",
    "RawBlock",
    "candidate_blocks",
    "drop",
    "element_text",
    "is_boilerplate_element",
    "is_strong_boilerplate",
    "parse_html",
    "resolve_url",
    "unwrap_archive_url",
]

# Plain lxml elements: lxml.html's element classes cost a class lookup per node.
HtmlElement = etree._Element

BLOCK_TAGS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "body",
        "caption",
        "center",
        "dd",
        "details",
        "dialog",
        "dir",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hgroup",
        "hr",
        "html",
        "li",
        "main",
        "menu",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tbody",
        "tfoot",
        "thead",
        "tr",
        "ul",
    ]
)
_JUNK_TAGS = (
    "script",
    "style",
    "noscript",
    "template",
    "svg",
    "math",
    "iframe",
    "object",
    "embed",
    "canvas",
    "select",
    "textarea",
    "button",
    "input",
    "head",
    "video",
    "audio",
    "map",
)
_KIND_BY_TAG = {
    **{f"h{n}": BlockKind.HEADING for n in range(1, 7)},
    "li": BlockKind.LIST_ITEM,
    "dd": BlockKind.LIST_ITEM,
    "dt": BlockKind.LIST_ITEM,
    "blockquote": BlockKind.QUOTE,
    "pre": BlockKind.PREFORMATTED,
}
# Archives wrap their own markup in these comments (Wayback's toolbar, pywb's banner).
_TOOLBARS = re.compile(
    r"<!--\s*BEGIN WAYBACK TOOLBAR INSERT\s*-->.*?<!--\s*END WAYBACK TOOLBAR INSERT\s*-->"
    r"|<!--\s*WB Insert\s*-->.*?<!--\s*End WB Insert\s*-->",
    re.DOTALL | re.IGNORECASE,
)
_TOOLBAR_IDS = ("wm-ipp-base", "wm-ipp", "wm-ipp-print", "donato", "_wb_frame_top_banner")
# Never shown to a reader: the hidden attribute, inline display:none, and the class
# names that CSS frameworks use for hidden and screen-reader-only text.
_HIDDEN_CLASSES = frozenset(
    {
        "hidden",
        "visually-hidden",
        "visuallyhidden",
        "sr-only",
        "screen-reader-text",
        "screen-reader-only",
        "is-hidden",
        "u-hidden",
        "d-none",
        "offscreen",
    }
)
# Substrings without which no class name is one of the hidden or button ones.
_HIDDEN_HINT = re.compile(r"hid|sr-only|screen-reader|d-none|offscreen|btn|button")
_INLINE_CONTROLS = frozenset({"a", "span", "i", "em", "b", "strong"})
_BUTTON_WORDS = frozenset({"btn", "button"})
_CLASS_WORDS = re.compile(r"[\s_-]+")
_DISPLAY_NONE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)


def _hidden(element: HtmlElement) -> bool:
    get = element.get  # element.get is C; building element.attrib costs more
    classes = get("class")
    if classes is not None and _HIDDEN_HINT.search(classes) is not None:
        if not _HIDDEN_CLASSES.isdisjoint(classes.split()):
            return True
        # An inline button inside a paragraph ("Click To Tweet") is a control, not text.
        if element.tag in _INLINE_CONTROLS and not _BUTTON_WORDS.isdisjoint(
            _CLASS_WORDS.split(classes.lower())
        ):
            return True
    style = get("style")
    if (
        style is not None
        and ("none" in style or "hidden" in style)
        and _DISPLAY_NONE.search(style) is not None
    ):
        return True
    return get("hidden") is not None or get("id") in _TOOLBAR_IDS


# Readability's unlikely-candidate words, widened with today's page furniture. The
# strong ones are furniture even in an "article__..." class; the weak ones are not.
_STRONG_BOILERPLATE = re.compile(
    r"advert|agegate|breadcrumb|comment|consent|cookie|disqus|gdpr|most-?read|most-?popular|"
    r"newsletter|outbrain|promo|recirc|recommend|related|share|sharing|shoutbox|"
    r"sidebar|signup|social|sponsor|subscri|taboola|trending",
    re.IGNORECASE,
)
_BOILERPLATE = re.compile(
    r"-ad-|^ad$|^ads?[-_]|[-_]ads?$|banner|combx|community|dropdown|extra|footer|header|"
    r"legends|masthead|menu|modal|navbar|pager|pagination|popular|popup|remark|replies|rss|"
    r"skip|skyscraper|supplemental|tags|toolbar|widget|yom-remote",
    re.IGNORECASE,
)
_MAYBE_ARTICLE = re.compile(r"and|article|body|column|content|main|shadow|story|text", re.I)
_BOILERPLATE_TAGS = frozenset({"nav", "aside", "footer", "header", "menu", "form", "dialog"})
_BOILERPLATE_ROLES = frozenset(
    {"navigation", "banner", "contentinfo", "complementary", "menu", "dialog", "alert"}
)
# libxml2's default depth limit (256) silently drops the rest of a page: huge_tree.
_TEXT_PARSER = etree.HTMLParser(
    remove_comments=True, remove_pis=True, no_network=True, recover=True, huge_tree=True
)
# An explicit encoding also overrides whatever <meta charset> the page declares.
_UTF8_PARSER = etree.HTMLParser(
    encoding="utf-8",
    remove_comments=True,
    remove_pis=True,
    no_network=True,
    recover=True,
    huge_tree=True,
)
_TOOLBARS_BYTES = re.compile(_TOOLBARS.pattern.encode(), _TOOLBARS.flags & ~re.UNICODE)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_PARAGRAPH_BREAK = re.compile(r"\n[ \t\r\f\v\u00a0]*\n")


class RawBlock:
    """A run of text in the page, before the article region is chosen.

    Its links are read from the elements that hold them only when asked for: most
    blocks of a page (navigation, footers) are never asked.
    """

    __slots__ = ("_links", "_share", "_sources", "element", "kind", "text")

    def __init__(
        self,
        text: str,
        kind: BlockKind,
        element: HtmlElement,
        sources: tuple[HtmlElement, ...] = (),
        share: float = 1.0,
    ) -> None:
        self.text = text
        self.kind = kind
        self.element = element
        self._sources = sources  # elements whose anchors are this block's links
        self._share = share  # the part of them this block holds, when a run was cut
        self._links: tuple[list[tuple[str, str]], int] | None = None

    def _read_links(self) -> tuple[list[tuple[str, str]], int]:
        if self._links is None:
            links: list[tuple[str, str]] = []
            chars = 0
            for source in self._sources:
                found, count = _links(source)
                links.extend(found)
                chars += count
            if self._share < 1.0:
                links = [link for link in links if link[0] in self.text]
                chars = int(chars * self._share)
            self._links = (links, chars)
        return self._links

    def joined(self, other: RawBlock) -> RawBlock:
        """This block with ``other``'s text run on after it (an attribution under a quote)."""
        links, chars = self._read_links()
        other_links, other_chars = other._read_links()
        block = RawBlock(f"{self.text} {other.text}", self.kind, self.element)
        block._links = (links + other_links, chars + other_chars)
        return block

    @property
    def links(self) -> list[tuple[str, str]]:
        """The block's anchors as (text, raw href)."""
        return self._read_links()[0]

    @property
    def link_chars(self) -> int:
        """How many characters of the block's text are link text."""
        return self._read_links()[1]


def parse_html(page: str | bytes) -> HtmlElement:
    """Parse HTML leniently into an lxml tree (archive toolbars removed).

    Args:
        page: decoded text, or bytes known to be UTF-8 (see
            :func:`~snapverify.text.decode.is_utf8_page`), which parse faster.
    """
    if isinstance(page, bytes):
        if b"TOOLBAR INSERT" in page or b"WB Insert" in page:
            page = _TOOLBARS_BYTES.sub(b"", page)
        parser = _UTF8_PARSER
    else:
        # lxml refuses text that still declares an encoding (it has been decoded already).
        page = _XML_DECLARATION.sub("", page, count=1)
        if "TOOLBAR INSERT" in page or "WB Insert" in page:
            page = _TOOLBARS.sub("", page)
        parser = _TEXT_PARSER
    try:
        root = etree.fromstring(page, parser=parser)
    except (etree.ParserError, ValueError):
        root = None
    if root is None:
        root = etree.fromstring("<html><body></body></html>", parser=_TEXT_PARSER)
    return root


def drop(element: HtmlElement) -> None:
    """Remove an element and its content, keeping the text that follows it."""
    parent = element.getparent()
    if parent is None:
        return
    tail = element.tail
    if tail:
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(element)


def is_boilerplate_element(element: HtmlElement) -> bool:
    """Whether an element, by its tag, role, class or id, is page furniture."""
    if element.tag in _BOILERPLATE_TAGS:
        return True
    role = element.get("role")
    if role and role.lower() in _BOILERPLATE_ROLES:
        return True
    names = f"{element.get('class', '')} {element.get('id', '')}".strip()
    if not names:
        return False
    for name in names.split():
        if _STRONG_BOILERPLATE.search(name):
            return True
        if _BOILERPLATE.search(name) and not _MAYBE_ARTICLE.search(name):
            return True
    return False


def is_strong_boilerplate(element: HtmlElement) -> bool:
    """Whether an element's class or id names furniture that is never the article
    (related stories, sidebar, sharing, newsletter, comments...)."""
    # The pattern holds no spaces or anchors: one search over the names is one per name.
    return (
        _STRONG_BOILERPLATE.search(f"{element.get('class', '')} {element.get('id', '')}")
        is not None
    )


# Characters lxml keeps from a parsed page but refuses in text it is given.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _prepare(root: HtmlElement) -> None:
    etree.strip_elements(root, *_JUNK_TAGS, with_tail=False)
    # One pass (an XPath over every attribute costs several times more).
    for element in root.iter("br", "td", "th"):
        # A line break ends a line; table cells are words of their row, kept apart.
        sep = "\n" if element.tag == "br" else " "
        try:
            element.tail = sep + (element.tail or "")
        except ValueError:  # a control character lxml parsed but will not set back
            element.tail = sep + _NOT_XML.sub("", element.tail or "")
    hint = _HIDDEN_HINT.search
    hidden = []
    for element in root.iter():
        get = element.get
        classes = get("class")
        style = get("style")
        # Most elements fail these cheap tests; only the rest pay for _hidden().
        if (
            (classes is not None and hint(classes) is not None)
            or (style is not None and ("none" in style or "hidden" in style))
            or get("hidden") is not None
            or get("id") in _TOOLBAR_IDS
        ) and _hidden(element):
            hidden.append(element)
    hidden += _hover_cards(root)
    for element in hidden:
        drop(element)


_INLINE_WRAPPERS = frozenset({"span", "a", "b", "i", "em", "strong", "small", "font"})


def _hover_cards(root: HtmlElement) -> list[HtmlElement]:
    """Cards shown on hover inside a paragraph: a picture and a list of links in a span.

    ``<p>Gov. <span><a>Kristi Noem</a><span><img> <a>Kristi Lynn Noem</a> <a>Headline
    one</a> <a>Headline two</a></span></span> (R) is defending...</p>``: the inner
    span is a person card the site shows on hover, not words of the sentence.
    """
    cards: list[HtmlElement] = []
    for image in root.iter("img"):
        node = image.getparent()
        card = None
        while node is not None and node.tag in _INLINE_WRAPPERS:
            if card is None and node.tag == "span":
                anchors = node.findall(".//a")
                if len(anchors) >= 2:
                    text = len(" ".join(element_text(node).split()))
                    linked = sum(len(" ".join(element_text(a).split())) for a in anchors)
                    if text and linked >= 0.8 * text:
                        card = node
            node = node.getparent()
        if card is None or node is None or node.tag not in ("p", "li", "dd"):
            continue
        # the card sits inside prose: the paragraph has text of its own besides it
        whole = len(" ".join(element_text(node).split()))
        if whole and len(" ".join(element_text(card).split())) < 0.8 * whole:
            cards.append(card)
    return cards


def _has_block_descendant(root: HtmlElement) -> set[HtmlElement]:
    marked: set[HtmlElement] = set()
    for element in root.iter(*BLOCK_TAGS):
        parent = element.getparent()
        while parent is not None and parent not in marked:
            marked.add(parent)
            parent = parent.getparent()
    return marked


def element_text(element: HtmlElement) -> str:
    """All text inside ``element`` (its tail excluded)."""
    return str(etree.tostring(element, method="text", encoding=str, with_tail=False))


_text = element_text


def _links(element: HtmlElement) -> tuple[list[tuple[str, str]], int]:
    """Anchors as (text, raw href): resolving waits until a block is chosen."""
    links: list[tuple[str, str]] = []
    chars = 0
    for anchor in element.iter("a"):
        text = " ".join(_text(anchor).split())
        chars += len(text)
        href = anchor.get("href")
        if href and text:
            links.append((text, href))
    return links, chars


class _Collector:
    """Accumulates inline text between block boundaries."""

    def __init__(self) -> None:
        self.blocks: list[RawBlock] = []
        self.quotes = 0  # block quotes open around the current position
        self.parts: list[str] = []
        self.sources: list[HtmlElement] = []

    def add(self, text: str | None) -> None:
        if text:
            self.parts.append(text)

    def add_inline(self, element: HtmlElement) -> None:
        self.parts.append(_text(element))
        if element.tag == "a" or element.find(".//a") is not None:
            self.sources.append(element)

    def flush(self, container: HtmlElement) -> None:
        if self.parts:
            text = "".join(self.parts)
            if not text.isspace():
                self.emit(text, container, tuple(self.sources))
            self.parts.clear()  # in place: the walk holds this list under a local name
        self.sources.clear()

    def emit(self, text: str, element: HtmlElement, sources: tuple[HtmlElement, ...]) -> None:
        if not text.isascii():
            # Before spaces collapse: "Ã" + a no-break space is how "à" breaks.
            text = repair_mojibake(text)
        kind = _KIND_BY_TAG.get(element.tag, BlockKind.PARAGRAPH)
        if kind is BlockKind.PARAGRAPH and element.tag == "p" and self.quotes > 0:
            kind = BlockKind.QUOTE
        if "\n" not in text:
            collapsed = " ".join(text.split())
            if collapsed:
                self.blocks.append(RawBlock(collapsed, kind, element, sources))
            return
        pieces = _PARAGRAPH_BREAK.split(text)
        total = sum(len(piece) for piece in pieces) or 1
        for piece in pieces:
            collapsed = " ".join(piece.split())
            if collapsed:
                share = 1.0 if len(pieces) == 1 else len(piece) / total
                self.blocks.append(RawBlock(collapsed, kind, element, sources, share))


def candidate_blocks(root: HtmlElement) -> list[RawBlock]:
    """Cut the page's body into text blocks in document order.

    A block is the text of a block-level element that holds no other block-level
    element, or a run of inline text between block boundaries; a double line break
    also ends a block. Scripts, styles, forms controls, hidden elements and archive
    toolbars contribute nothing.

    Args:
        root: the parsed page (modified in place: junk removed).

    Returns:
        The blocks in document order.
    """
    _prepare(root)
    body = root.find("body")
    start = body if body is not None else root
    containers = _has_block_descendant(start)
    collector = _Collector()
    stack: list[HtmlElement] = []
    walker = etree.iterwalk(start, events=("start", "end"))
    # Local names: this loop runs once or twice for every element of the page.
    parts = collector.parts
    add_inline, emit, flush = collector.add_inline, collector.emit, collector.flush
    skip, block_tags, text_of = walker.skip_subtree, BLOCK_TAGS, _text
    for event, element in walker:
        tag = element.tag
        if not isinstance(tag, str):
            if event == "end" and stack and element.tail:
                parts.append(element.tail)
            continue
        if event == "start":
            if tag in block_tags:
                if stack:
                    flush(stack[-1])
                if element in containers:
                    stack.append(element)
                    if tag == "blockquote":
                        collector.quotes += 1
                    if element.text:
                        parts.append(element.text)
                else:
                    emit(text_of(element), element, (element,))
                    skip()
            elif element in containers:
                if element.text:
                    parts.append(element.text)
            else:
                add_inline(element)
                skip()
        else:
            if tag in block_tags and stack and stack[-1] is element:
                flush(element)
                stack.pop()
                if tag == "blockquote":
                    collector.quotes -= 1
            if element is not start and element.tail:
                parts.append(element.tail)
    if stack:
        flush(stack[-1])
    return collector.blocks
