"""Article extraction without a reference: readability's density idea.

Used when there is no local copy to guide extraction, or the page holds too little
of it (a soft-404, an unrelated page): the element whose paragraphs carry the most
prose is the article.
"""

from __future__ import annotations

from snapverify.models import BlockKind
from snapverify.text.html import HtmlElement, RawBlock, is_boilerplate_element
from snapverify.text.normalise import word_keys
from snapverify.text.prose import is_non_prose_name, path_excluded

__all__ = ["generic_blocks"]

_LEVELS = 5
_DIVIDERS = (1, 2, 6, 9, 12)


def _near_furniture(element: HtmlElement, levels: int = 3) -> bool:
    node: HtmlElement | None = element
    for _ in range(levels + 1):
        if node is None:
            return False
        if is_boilerplate_element(node) or is_non_prose_name(node):
            return True
        node = node.getparent()
    return False


def generic_blocks(blocks: list[RawBlock], min_words: int = 8) -> list[RawBlock]:
    """The blocks of the element whose paragraphs carry the most prose.

    Args:
        blocks: the page's candidate blocks.
        min_words: the shortest block that scores.

    Returns:
        The article's blocks, in page order (empty when nothing reads as prose).
    """
    scores: dict[HtmlElement, float] = {}
    for block in blocks:
        words = len(word_keys(block.text))
        # Only furniture close to the text disqualifies it: a page-wide wrapper's
        # class ("right-sidebar" on <body>) says nothing about the article.
        if (
            words < min_words
            or block.link_chars * 3 > len(block.text)
            or _near_furniture(block.element)
        ):
            continue
        score = 1 + block.text.count(",") + block.text.count("，") + min(len(block.text) // 100, 3)
        # As Readability does: the parent gets the score, the grandparent half, and
        # three more ancestors a share that falls with distance (steps of a recipe,
        # each in its own wrapper, still add up in the list that holds them).
        node = block.element.getparent()
        for level in range(_LEVELS):
            if node is None:
                break
            scores[node] = scores.get(node, 0.0) + score / _DIVIDERS[level]
            node = node.getparent()
    if not scores:
        # No paragraph of prose anywhere (a photo post): score short lines instead.
        return generic_blocks(blocks, 3) if min_words > 3 else []
    container = max(scores, key=lambda element: scores[element])
    within = set(container.iter())
    cache: dict[HtmlElement, bool] = {}
    chosen = []
    for block in blocks:
        if block.element not in within or block.link_chars * 2 > len(block.text):
            continue
        if path_excluded(block.element, container, cache):
            continue
        if len(word_keys(block.text)) < 3 and block.kind is not BlockKind.HEADING:
            continue
        chosen.append(block)
    return chosen
