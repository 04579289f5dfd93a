"""HTML capture to article :class:`~snapverify.models.Document`.

Reference-guided extraction: given the local copy, blocks of the page that say
what the local copy says mark the article; the article region is the deepest
element holding nearly all of them. Inside that region, prose that the local copy
lacks is kept (it may be a passage the site added), while page furniture
(navigation, sharing, captions, link lists, headlines) is not. Outside it, only
text of the local copy is kept, so boilerplate never becomes a finding.

Without a reference, or when the page holds too little of it (a soft-404, an
unrelated page), a generic density-based extraction chooses the article and the
document says so in ``extraction`` and ``notes``.
"""

from __future__ import annotations

import gc
import logging
from collections import Counter
from collections.abc import Callable
from functools import lru_cache

from rapidfuzz.distance import Indel

from snapverify.models import Block, Document, Extraction, Link
from snapverify.text.decode import decode_html, is_utf8_page
from snapverify.text.generic import generic_blocks
from snapverify.text.html import (
    HtmlElement,
    RawBlock,
    candidate_blocks,
    is_strong_boilerplate,
    parse_html,
    resolve_url,
)
from snapverify.text.metadata import read_metadata
from snapverify.text.normalise import character_share, word_keys
from snapverify.text.prose import (
    SEPARATOR,
    end_note,
    inline_furniture,
    is_attribution,
    is_headline,
    path_excluded,
    reads_as_prose,
    shape,
)

__all__ = ["extract", "prepare_reference"]

logger = logging.getLogger(__name__)


SHINGLE = 3  # _shingles zips three shifted copies
# A page block belongs to the reference when this share of its shingles is in it.
MATCH_SHARE = 0.5
# Fewer shingles than this match only as a whole block of the reference.
MIN_HITS = 3
# Blocks this short are matched by near equality (one word changed) inside the region.
SHORT_BLOCK = 8
NEAR_SIMILARITY = 0.6
# The reference is usable when the page holds this share of its shingles.
USABLE_COVERAGE = 0.15
# The article region holds this share of the matched text.
REGION_SHARE = 0.85
# An element holding this share of the matched text is article, whatever its name.
HOLDER_SHARE = 0.3
# A long unmatched block holding this share of the reference's shingles repeats it.
DIGEST_WORDS = 100
DIGEST_SHARE = 0.35
# The same for text cut into characters (Chinese, Thai), whose shingles are far shorter.
DIGEST_CHARACTER_SHARE = 0.75

# Words of class and id names ("photo-credit", "article__caption") that mark text
# around the article rather than in it.


def _shingles(keys: tuple[str, ...]) -> list[tuple[str, ...]]:
    if len(keys) < SHINGLE:
        return [keys] if keys else []
    return list(zip(keys, keys[1:], keys[2:], strict=False))


class _Reference:
    def __init__(self, document: Document) -> None:
        self.shingles: set[tuple[str, ...]] = set()
        self.words: set[str] = set()
        self.signatures: Counter[tuple[str, ...]] = Counter()
        for block in document.blocks:
            keys = word_keys(block.text)
            self.shingles.update(_shingles(keys))
            self.words.update(keys)
            self.signatures[keys] += 1
        self.short = Counter(
            {keys: n for keys, n in self.signatures.items() if 0 < len(keys) <= SHORT_BLOCK + 2}
        )

    def resembling(
        self, keys: tuple[str, ...], unclaimed: Counter[tuple[str, ...]]
    ) -> tuple[str, ...] | None:
        """The short reference block that a short page block nearly equals, if any."""
        for short, count in unclaimed.items():
            if (
                count > 0
                and abs(len(short) - len(keys)) <= 2
                and Indel.normalized_similarity(short, keys) >= NEAR_SIMILARITY
            ):
                return short
        return None

    def share(self, keys: tuple[str, ...]) -> float:
        """The share of the block's shingles that the reference has."""
        shingles = _shingles(keys)
        return sum(1 for s in shingles if s in self.shingles) / len(shingles) if shingles else 0.0

    def matches(self, keys: tuple[str, ...]) -> list[tuple[str, ...]]:
        """The block's shingles found in the reference, if it belongs to it."""
        if not keys:
            return []
        count = max(len(keys) - SHINGLE + 1, 1)
        known = self.shingles
        allowed = count * (1 - MATCH_SHARE)  # misses a matching block may have
        hits = []
        misses = 0
        shingles = _shingles(keys) if count == 1 else zip(keys, keys[1:], keys[2:], strict=False)
        for shingle in shingles:
            if shingle in known:
                hits.append(shingle)
            else:
                misses += 1
                if misses > allowed:
                    return []  # most page furniture stops here, after a few shingles
        if len(hits) < MATCH_SHARE * count:
            return []
        # Short text (a caption naming someone) must be a whole block of the reference.
        if len(hits) < MIN_HITS and keys not in self.signatures:
            return []
        return hits


@lru_cache(maxsize=16)
def _reference(document: Document) -> _Reference:
    # A check compares one local copy with many captures: index it once.
    return _Reference(document)


def prepare_reference(document: Document) -> None:
    """Index a local copy for guided extraction ahead of time.

    :func:`extract` does this itself on first use and keeps the index (for the
    last 16 local copies), so every capture of a snapshot after the first is
    extracted against a ready index; benchmarks call this to time captures alone.

    Args:
        document: the local copy.
    """
    _reference(document)


def _depth(element: HtmlElement) -> int:
    return sum(1 for _ in element.iterancestors())


def _weights(blocks: list[RawBlock], masses: list[int]) -> Counter[HtmlElement]:
    """The matched mass each element holds (its blocks' and its descendants')."""
    weight: Counter[HtmlElement] = Counter()
    for block, mass in zip(blocks, masses, strict=True):
        if not mass:
            continue
        node: HtmlElement | None = block.element
        while node is not None:
            weight[node] += mass
            node = node.getparent()
    return weight


def _deepest_holding(weight: Counter[HtmlElement], total: int, share: float) -> HtmlElement:
    holding = [element for element, mass in weight.items() if mass >= share * total]
    return max(holding, key=_depth)


def _repeats_in_region(
    n: int,
    hits: list[tuple[str, ...]],
    claimed_by: dict[tuple[str, ...], int],
    hits_of: list[list[tuple[str, ...]]],
    blocks: list[RawBlock],
    region: set[HtmlElement],
    headline: list[bool],
) -> bool:
    """Whether block ``n``, outside the region, repeats the block that owns its text.

    The owner in the region must hold about as much text (a teaser of the lede, not a
    caption quoting a few words of a long paragraph); an owner outside the region must
    not be the headline (a subhead repeating the title is no teaser).
    """
    if blocks[n].element in region:
        return False
    m = claimed_by[hits[0]]
    if m == n:
        return False
    if blocks[m].element in region:
        return len(hits_of[m]) <= 1.5 * len(hits) + 3
    return not headline[m]


def _glue_short_blocks(
    keys: list[tuple[str, ...]], masses: list[int], reference: _Reference
) -> None:
    """Mark short blocks that belong to the reference only together with a neighbour."""
    # A short block (a subhead, a credit) that the local copy runs into its neighbour:
    # the words across the seam are in the reference.
    words = reference.words
    glueable = [
        not masses[n] and 0 < len(k) <= 2 * SHINGLE and all(key in words for key in k)
        for n, k in enumerate(keys)
    ]
    for n, block_keys in enumerate(keys):
        if not glueable[n]:
            continue
        if len(block_keys) >= SHINGLE and not all(
            shingle in reference.shingles for shingle in _shingles(block_keys)
        ):
            continue
        for m in (n - 1, n + 1):
            if 0 <= m < len(keys) and masses[m] and keys[m]:
                seam = keys[m][-2:] + block_keys if m < n else block_keys + keys[m][:2]
                if all(shingle in reference.shingles for shingle in _shingles(seam)):
                    masses[n] = 1
                    break
    # Short blocks in a row that together are a passage of the reference (a paragraph
    # the page cut in two short halves).
    n = 0
    while n < len(keys):
        m = n
        while m < len(keys) and glueable[m] and not masses[m]:
            m += 1
        if m - n >= 2:
            run = tuple(key for k in range(n, m) for key in keys[k])
            if all(shingle in reference.shingles for shingle in _shingles(run)):
                for k in range(n, m):
                    masses[k] = 1
        n = max(m, n + 1)


def _guided(
    blocks: list[RawBlock], reference: _Reference, titles: set[tuple[str, ...]]
) -> list[RawBlock] | None:
    keys = [word_keys(block.text) for block in blocks]
    hits_of = [reference.matches(block_keys) for block_keys in keys]
    # Who claims each shingle: most have one claimant; a shingle several blocks claim is
    # contested (a teaser list or news stream repeating the lede, a pull quote, a caption
    # repeating part of a paragraph).
    claimed_by: dict[tuple[str, ...], int] = {}
    claimants: dict[tuple[str, ...], list[int]] = {}
    for n, hits in enumerate(hits_of):
        for shingle in hits:
            held = claimed_by.setdefault(shingle, n)
            if held != n:
                claiming = claimants.get(shingle)
                if claiming is None:
                    claimants[shingle] = [held, n]
                elif claiming[-1] != n:
                    claiming.append(n)
    # how often each block that claims contested shingles has each of them
    repeated: dict[int, Counter[tuple[str, ...]]] = {}
    for claiming in claimants.values():
        for n in claiming:
            if n not in repeated:
                repeated[n] = Counter(s for s in hits_of[n] if s in claimants)
    contested = {n: sum(counts.values()) for n, counts in repeated.items()}
    # Where the text no other block repeats lies tells where the article is.
    region: set[HtmlElement] = set()
    # (only needed when some block claims nothing but contested text: a teaser, a
    # caption, a pull quote; otherwise the blocks' sizes settle every claim)
    if any(hits_of[n] and count == len(hits_of[n]) for n, count in contested.items()):
        sole = [len(hits) - contested.get(n, 0) for n, hits in enumerate(hits_of)]
        if sum(sole) > 0:
            weight = _weights(blocks, sole)
            region = set(_deepest_holding(weight, sum(sole), REGION_SHARE).iter())
    # Each contested shingle belongs to the block holding most of the reference (first
    # one in that region); the others repeat it.
    rank = [
        (blocks[n].element in region, len(hits)) if region else (False, len(hits))
        for n, hits in enumerate(hits_of)
    ]
    owns: Counter[int] = Counter()  # contested shingles each block owns
    for shingle, claiming in claimants.items():
        claiming.sort(key=lambda m: rank[m], reverse=True)
        owns[claiming[0]] += repeated[claiming[0]][shingle]
        claimed_by[shingle] = claiming[0]
    headlines = [
        bool(hits) and (block.element.tag == "h1" or is_headline(block_keys, titles))
        for block, block_keys, hits in zip(blocks, keys, hits_of, strict=True)
    ]
    masses: list[int] = []
    matched_shingles: set[tuple[str, ...]] = set()
    for n, (block_keys, hits) in enumerate(zip(keys, hits_of, strict=True)):
        if not hits:
            masses.append(0)
            continue
        owned = len(hits) - contested.get(n, 0) + owns[n]
        headline = headlines[n]
        # a whole paragraph of the local copy counts, unless it repeats, outside the
        # article's region, a paragraph of about its length in the region (a teaser of
        # the lede; not a caption quoting a few words of a long paragraph)
        whole = block_keys in reference.signatures and not (
            owned == 0
            and region
            and _repeats_in_region(n, hits, claimed_by, hits_of, blocks, region, headlines)
        )
        if (owned * 5 < len(hits) and not whole) or (headline and not whole):
            masses.append(0)
            continue
        masses.append(len(hits))
        matched_shingles.update(hits)
    if not reference.shingles or len(matched_shingles) < USABLE_COVERAGE * len(reference.shingles):
        return None
    _glue_short_blocks(keys, masses, reference)
    weight = _weights(blocks, masses)
    total = sum(masses)
    container = _deepest_holding(weight, total, REGION_SHARE)
    if any(block.element is container for block in blocks):
        # One matched paragraph holds it all (a short article): the region is its parent.
        parent = container.getparent()
        if parent is not None:
            container = parent
    cache: dict[HtmlElement, bool] = {}
    # An element holding a good part of the article's matched text is the article,
    # whatever its class says ("js-figure-zoom", "elementor-widget"): furniture names
    # count only below it.
    for element, mass in weight.items():
        if mass >= HOLDER_SHARE * total:
            cache[element] = False
    within = set(container.iter())
    inside = [block.element in within for block in blocks]
    # A short paragraph with a word changed has no shingle left in common with the
    # reference; inside the region, one nearly equal to a short block of it is that block.
    unclaimed = Counter(reference.short)
    unclaimed.subtract(k for k, m in zip(keys, masses, strict=True) if m and k in unclaimed)
    for n, block_keys in enumerate(keys):
        if not masses[n] and inside[n] and 0 < len(block_keys) <= SHORT_BLOCK:
            near = reference.resembling(block_keys, unclaimed)
            if near is not None:
                unclaimed[near] -= 1
                masses[n] = 1
    kept_inside = {k for k, m, i in zip(keys, masses, inside, strict=True) if m and i}
    matched_at = [n for n, (m, i) in enumerate(zip(masses, inside, strict=True)) if m and i]
    # The span of the article's prose: a credit or caption the local copy kept
    # ("(Image credit: ...)") does not stretch it over the bio and boxes around it.
    prose_at = (n for n in matched_at if not path_excluded(blocks[n].element, container, cache))
    first = next(prose_at, matched_at[0])
    last = next(
        (
            n
            for n in reversed(matched_at)
            if n >= first and not path_excluded(blocks[n].element, container, cache)
        ),
        matched_at[-1],
    )
    # Outside the span of matched text, only blocks shaped like the article's own
    # paragraphs (same tag and class, in a parent of the same tag and class) may be
    # article text: a correction appended to the article, not the newsletter box after it.
    shapes = {shape(blocks[n].element) for n in matched_at}
    piece_runs: dict[int, bool] = {}  # a run of pieces (by its first block): one kept?
    chosen: list[RawBlock] = []
    seen: Counter[tuple[str, ...]] = Counter()
    last_chosen = -1
    outside_cache: dict[HtmlElement, bool] = {}
    for n, (block, signature, mass, is_inside) in enumerate(
        zip(blocks, keys, masses, inside, strict=True)
    ):
        if (
            last_chosen == n - 1
            and chosen
            and signature not in reference.signatures
            and is_attribution(block, chosen[-1])
        ):
            # "— Name" under a quote belongs to the quote (unless the local copy keeps
            # it as a paragraph of its own); one the local copy lacks is furniture,
            # never a passage of its own.
            if all(key in reference.words for key in signature):
                chosen[-1] = chosen[-1].joined(block)
                last_chosen = n
            continue
        if mass:
            if not is_inside and (
                signature in kept_inside or _in_furniture(block.element, outside_cache)
            ):
                # a teaser or repeat of text the article region already has, or text
                # of the local copy in a related-stories box or a sidebar
                continue
            if seen[signature] >= max(1, reference.signatures[signature]):
                continue  # the same text again, more often than the local copy has it
        elif not (
            is_inside
            and not is_headline(signature, titles)
            and not _digest(signature, reference)
            and (
                _unmatched_kept(blocks, n, len(signature), first, last, shapes)
                or _row_between_matched(blocks, masses, n)
                or _piece_of_prose(
                    blocks,
                    keys,
                    masses,
                    n,
                    lambda k: (
                        inside[k] and _unmatched_kept(blocks, k, len(keys[k]), first, last, shapes)
                    ),
                    piece_runs,
                )
            )
            and not path_excluded(block.element, container, cache)
            and not inline_furniture(block)
        ):
            continue
        seen[signature] += 1
        chosen.append(block)
        last_chosen = n
    return chosen


def _in_furniture(element: HtmlElement, cache: dict[HtmlElement, bool]) -> bool:
    """Whether an element lies in a related-stories box, sidebar, share bar or the like."""
    chain: list[HtmlElement] = []
    node: HtmlElement | None = element
    verdict = False
    while node is not None and node.tag != "body":
        known = cache.get(node)
        if known is not None:
            verdict = known
            break
        chain.append(node)
        if is_strong_boilerplate(node):
            verdict = True
            break
        node = node.getparent()
    for item in chain:
        cache[item] = verdict
    return verdict


_ROW_TAGS = frozenset({"tr", "li", "dd", "dt"})


def _row_between_matched(blocks: list[RawBlock], masses: list[int], n: int) -> bool:
    """A table row or list item between two matched rows of the same table or list.

    A row need not read as prose ("HD 225.86 -12.99"): one the local copy lacks
    between rows it has is a row the site added.
    """
    element = blocks[n].element
    if element.tag not in _ROW_TAGS or not 0 < n < len(blocks) - 1:
        return False
    if blocks[n].link_chars * 2 > len(blocks[n].text):
        return False
    group = _row_group(element)
    return all(
        masses[m] > 0
        and blocks[m].element.tag == element.tag
        and _row_group(blocks[m].element) is group
        for m in (n - 1, n + 1)
    )


def _row_group(element: HtmlElement) -> HtmlElement | None:
    """The table of a row (across thead and tbody), the list of an item."""
    parent = element.getparent()
    if element.tag == "tr" and parent is not None and parent.tag in ("thead", "tbody", "tfoot"):
        return parent.getparent()
    return parent


def _piece_of_prose(
    blocks: list[RawBlock],
    keys: list[tuple[str, ...]],
    masses: list[int],
    n: int,
    kept: Callable[[int], bool],
    runs: dict[int, bool],
) -> bool:
    """Whether an unmatched block is a piece of a paragraph the local copy lacks.

    A page may cut one paragraph into pieces with blank lines (a sentence, a piece of
    four Chinese characters, the rest); consecutive unmatched blocks of one element are
    one passage, so when one of them is kept as article prose, all of them are.
    ``runs`` caches the answer per run (by its first block).
    """

    def piece(k: int) -> bool:
        return not masses[k] and bool(keys[k]) and blocks[k].element is blocks[n].element

    if not piece(n):
        return False
    start = n
    while start > 0 and piece(start - 1):
        start -= 1
    if start not in runs:
        end = n + 1
        while end < len(blocks) and piece(end):
            end += 1
        runs[start] = end - start >= 2 and any(kept(k) for k in range(start, end))
    return runs[start]


def _digest(keys: tuple[str, ...], reference: _Reference) -> bool:
    """A long block made partly of the article's sentences: a summary or a repeat."""
    if len(keys) < DIGEST_WORDS:
        return False
    share = DIGEST_CHARACTER_SHARE if character_share(keys) > 0.5 else DIGEST_SHARE
    return reference.share(keys) >= share


def _unmatched_kept(
    blocks: list[RawBlock],
    n: int,
    words: int,
    first: int,
    last: int,
    shapes: set[tuple[object, ...]],
) -> bool:
    """Whether text of the article region that the local copy lacks is article text.

    It must read as prose; before or after the matched passages it must also look
    like the article's own paragraphs (see :func:`_edge_prose`).
    """
    if not reads_as_prose(blocks[n], words):
        return False
    return first < n < last or _edge_prose(blocks, n, first, last, shapes)


def _edge_prose(
    blocks: list[RawBlock], n: int, first: int, last: int, shapes: set[tuple[object, ...]]
) -> bool:
    """Whether a block before or after the matched text may still be article prose."""
    block = blocks[n]
    neighbour = blocks[first].element
    # A lede with a class of its own, right before the article's paragraphs, is one of them.
    beside = n == first - 1 and (
        block.element.tag == neighbour.tag and block.element.getparent() is neighbour.getparent()
    )
    if not (beside or shape(block.element) in shapes) or end_note(block):
        return False
    # A separator line ("___") ends the article even when the local copy kept it.
    between = range(last, n) if n > last else range(n + 1, first + 1)
    return not any(SEPARATOR.match(blocks[k].text) for k in between)


def _base_url(root: HtmlElement, url: str | None) -> str | None:
    base = root.find(".//base[@href]")
    if base is not None:
        return resolve_url(base.get("href"), url) or url
    return url


def extract(
    html: bytes | str,
    *,
    url: str | None = None,
    reference: Document | None = None,
    charset: str | None = None,
) -> Document:
    """Extract the article of an HTML page.

    Args:
        html: the page, as bytes (decoded by ``charset``, the ``<meta>`` charset or
            detection) or text.
        url: the page's original URL; relative and archive-rewritten links resolve
            to absolute original URLs against it.
        reference: the local copy; when given and the page holds enough of it, the
            article region is found by matching it (``Extraction.GUIDED``).
        charset: the charset of the HTTP ``Content-Type`` header, if any.

    Returns:
        The article: body blocks in page order, their links, and metadata.
    """
    # The walk allocates many short-lived objects and no cycles: the cyclic
    # collector's passes over them are pure cost here (~7 % of an extraction).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _extract(html, url=url, reference=reference, charset=charset)
    finally:
        if collecting:
            gc.enable()


def _extract(
    html: bytes | str,
    *,
    url: str | None,
    reference: Document | None,
    charset: str | None,
) -> Document:
    # Mojibake is repaired block by block (text.html, text.metadata), not in the whole
    # page: most of a page's characters are markup, scripts and styles.
    if isinstance(html, bytes) and is_utf8_page(html, charset):
        root = parse_html(html)  # lxml reads UTF-8 bytes faster than it reads text
    else:
        root = parse_html(
            html if isinstance(html, str) else decode_html(html, charset, repair=False)
        )
    base = _base_url(root, url)
    metadata = read_metadata(root, base)
    raw = candidate_blocks(root)
    notes: list[str] = []
    chosen: list[RawBlock] | None = None
    mode = Extraction.GENERIC
    if reference is not None and reference.blocks:
        titles = {tuple(word_keys(title)) for title in metadata.titles}
        chosen = _guided(raw, _reference(reference), titles)
        if chosen is None:
            notes.append(
                "the page holds too little of the local copy to locate the article;"
                " generic extraction used"
            )
        else:
            mode = Extraction.GUIDED
    if chosen is None:
        if not notes:
            notes.append("no local copy to guide extraction; generic extraction used")
        chosen = generic_blocks(raw)
    blocks = tuple(Block(block.text, block.kind) for block in chosen)
    links = []
    for index, block in enumerate(chosen):
        for text, href in block.links:
            target = resolve_url(href, base)
            if target is not None:
                links.append(Link(text, target, index))
    return Document(
        blocks=blocks,
        links=tuple(links),
        title=metadata.title,
        byline=metadata.byline,
        published=metadata.published,
        modified=metadata.modified,
        publication=metadata.site_name,
        url=url or metadata.url,
        extraction=mode,
        notes=tuple(notes),
        title_variants=metadata.titles,
    )
