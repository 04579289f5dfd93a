"""Align the words of a local copy with the words of a source, paragraph first.

1. Blocks whose words are identical are matched as wholes (an LCS over block
   signatures), which settles most of an article at once.
2. Unmatched blocks that reappear identically elsewhere are *moves*.
3. Between matched blocks, the remaining regions are aligned word by word
   (rapidfuzz's bit-parallel LCS). Regions too large for that are cut at words
   shingles that are unique on both sides (patience diff), so growth stays near
   linear; a paragraph split in two or two merged costs nothing here because words,
   not blocks, are compared.
4. Short equalities marooned between changes (a shared "the" inside a rewritten
   passage) are dissolved, as diff-match-patch's semantic clean-up does.

The result maps every local word to the source word it matches (or to nothing),
and back.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz.distance import Indel

from snapverify.text.normalise import Tokens, tokenize, word_keys

__all__ = ["MOVED", "UNMATCHED", "Alignment", "Side", "align"]

UNMATCHED = -1
MOVED = -2
# Above this many cells (words x words), a region is cut at unique anchors first.
_DIRECT_LIMIT = 4_000_000
_ANCHOR = 4

Op = tuple[str, int, int, int, int]


@dataclass(frozen=True, slots=True)
class Side:
    """One document's blocks and words, flattened for alignment.

    ``indices`` are the blocks' indices in the document (blocks with no words are
    left out); ``owner[t]`` is the position in ``texts`` of the block holding word
    ``t``; ``first[b]`` is the position of block ``b``'s first word.
    """

    texts: tuple[str, ...]
    indices: tuple[int, ...]
    signatures: tuple[tuple[str, ...], ...]
    keys: tuple[str, ...]
    owner: tuple[int, ...]
    first: tuple[int, ...]

    @classmethod
    def of(cls, blocks: Sequence[tuple[int, str]]) -> Side:
        texts: list[str] = []
        indices: list[int] = []
        signatures: list[tuple[str, ...]] = []
        keys: list[str] = []
        owner: list[int] = []
        first: list[int] = []
        for index, text in blocks:
            block_keys = word_keys(text)
            if not block_keys:
                continue
            first.append(len(keys))
            owner.extend([len(texts)] * len(block_keys))
            keys.extend(block_keys)
            texts.append(text)
            indices.append(index)
            signatures.append(block_keys)
        return cls(
            tuple(texts), tuple(indices), tuple(signatures), tuple(keys), tuple(owner), tuple(first)
        )

    def block_range(self, block: int) -> range:
        return range(self.first[block], self.first[block] + len(self.signatures[block]))

    def signature(self, block: int) -> tuple[str, ...]:
        return self.signatures[block]

    def tokens(self, block: int) -> Tokens:
        """The block's words with their spans (computed only for blocks a report shows)."""
        return tokenize(self.texts[block])


@dataclass(frozen=True, slots=True)
class Alignment:
    """Word-to-word map between a local copy and a source.

    ``local_match[t]`` is the source word matching local word ``t``, ``UNMATCHED``
    or ``MOVED``; ``source_match`` is the converse. ``moves`` pairs local and
    source block positions of passages that moved unchanged.
    """

    local: Side
    source: Side
    local_match: tuple[int, ...]
    source_match: tuple[int, ...]
    moves: tuple[tuple[int, int], ...]
    same: tuple[tuple[int, int], ...] = ()  # block pairs matched whole, word for word

    @property
    def matched_words(self) -> int:
        return sum(1 for target in self.local_match if target >= 0 or target == MOVED)


def _unique_anchors(a: Sequence[str], b: Sequence[str]) -> list[tuple[int, int]]:
    """Positions of word shingles that occur once in ``a`` and once in ``b``, in LIS order."""

    def unique(seq: Sequence[str]) -> dict[tuple[str, ...], int]:
        seen: dict[tuple[str, ...], int] = {}
        repeated: set[tuple[str, ...]] = set()
        for i in range(len(seq) - _ANCHOR + 1):
            shingle = tuple(seq[i : i + _ANCHOR])
            if shingle in seen:
                repeated.add(shingle)
            else:
                seen[shingle] = i
        for shingle in repeated:
            del seen[shingle]
        return seen

    in_a = unique(a)
    in_b = unique(b)
    pairs = sorted((i, in_b[s]) for s, i in in_a.items() if s in in_b)
    # Longest increasing subsequence on the b positions (patience sorting).
    tails: list[int] = []
    tails_at: list[int] = []
    previous: list[int] = [-1] * len(pairs)
    for n, (_, j) in enumerate(pairs):
        k = bisect.bisect_left(tails, j)
        if k == len(tails):
            tails.append(j)
            tails_at.append(n)
        else:
            tails[k] = j
            tails_at[k] = n
        previous[n] = tails_at[k - 1] if k else -1
    chain: list[tuple[int, int]] = []
    n = tails_at[-1] if tails_at else -1
    while n >= 0:
        chain.append(pairs[n])
        n = previous[n]
    chain.reverse()
    # Keep anchors that do not overlap the previous one.
    anchors: list[tuple[int, int]] = []
    for i, j in chain:
        if not anchors or (i >= anchors[-1][0] + _ANCHOR and j >= anchors[-1][1] + _ANCHOR):
            anchors.append((i, j))
    return anchors


def _diff(a: Sequence[str], b: Sequence[str], a0: int = 0, b0: int = 0) -> list[Op]:
    """Word-level opcodes between ``a`` and ``b``, offset by ``a0``/``b0``."""
    if not a and not b:
        return []
    if not a:
        return [("insert", a0, a0, b0, b0 + len(b))]
    if not b:
        return [("delete", a0, a0 + len(a), b0, b0)]
    if len(a) * len(b) <= _DIRECT_LIMIT:
        return [
            (op.tag, op.src_start + a0, op.src_end + a0, op.dest_start + b0, op.dest_end + b0)
            for op in Indel.opcodes(a, b)
        ]
    anchors = _unique_anchors(a, b)
    if not anchors:
        return [
            ("delete", a0, a0 + len(a), b0, b0),
            ("insert", a0 + len(a), a0 + len(a), b0, b0 + len(b)),
        ]
    ops: list[Op] = []
    ai = bi = 0
    for i, j in anchors:
        ops.extend(_diff(a[ai:i], b[bi:j], a0 + ai, b0 + bi))
        ops.append(("equal", a0 + i, a0 + i + _ANCHOR, b0 + j, b0 + j + _ANCHOR))
        ai, bi = i + _ANCHOR, j + _ANCHOR
    ops.extend(_diff(a[ai:], b[bi:], a0 + ai, b0 + bi))
    return ops


def _cleanup(ops: list[Op]) -> list[Op]:
    """Dissolve short equalities surrounded by larger changes."""
    changed = True
    while changed:
        changed = False
        for n in range(1, len(ops) - 1):
            tag, i1, i2, j1, j2 = ops[n]
            if tag != "equal":
                continue
            before = _change_size(ops, n, -1)
            after = _change_size(ops, n, 1)
            length = i2 - i1
            if before and after and length <= min(before, after) and length <= 8:
                ops[n] = ("delete", i1, i2, j1, j1)
                ops.insert(n + 1, ("insert", i2, i2, j1, j2))
                changed = True
                break
    return ops


def _change_size(ops: list[Op], n: int, step: int) -> int:
    deleted = inserted = 0
    k = n + step
    while 0 <= k < len(ops) and ops[k][0] != "equal":
        _, i1, i2, j1, j2 = ops[k]
        deleted += i2 - i1
        inserted += j2 - j1
        k += step
    return max(deleted, inserted)


def align(local: Side, source: Side) -> Alignment:
    """Align two documents' words.

    Args:
        local: the local copy's side.
        source: the source's side.

    Returns:
        The word map and the moved blocks.
    """
    local_match = [UNMATCHED] * len(local.keys)
    source_match = [UNMATCHED] * len(source.keys)
    ids: dict[tuple[str, ...], int] = {}
    local_ids = [ids.setdefault(local.signature(b), len(ids)) for b in range(len(local.texts))]
    source_ids = [ids.setdefault(source.signature(b), len(ids)) for b in range(len(source.texts))]

    spans: list[list[int]] = []
    same: list[tuple[int, int]] = []
    for op in Indel.opcodes(local_ids, source_ids):
        if op.tag == "equal":
            for offset in range(op.src_end - op.src_start):
                lb, sb = op.src_start + offset, op.dest_start + offset
                same.append((lb, sb))
                for lt, st in zip(local.block_range(lb), source.block_range(sb), strict=True):
                    local_match[lt] = st
                    source_match[st] = lt
        elif spans and spans[-1][1] == op.src_start and spans[-1][3] == op.dest_start:
            spans[-1][1], spans[-1][3] = op.src_end, op.dest_end  # a delete next to an insert
        else:
            spans.append([op.src_start, op.src_end, op.dest_start, op.dest_end])
    regions = [(list(range(a1, a2)), list(range(b1, b2))) for a1, a2, b1, b2 in spans]

    # Passages that left one place and reappear, unchanged, in another.
    waiting: dict[int, list[int]] = {}
    for _, source_blocks in regions:
        for sb in source_blocks:
            waiting.setdefault(source_ids[sb], []).append(sb)
    moves: list[tuple[int, int]] = []
    moved_local: set[int] = set()
    moved_source: set[int] = set()
    for local_blocks, _ in regions:
        for lb in local_blocks:
            candidates = waiting.get(local_ids[lb])
            if candidates and len(local.signature(lb)) >= 3:
                sb = candidates.pop(0)
                moves.append((lb, sb))
                moved_local.add(lb)
                moved_source.add(sb)
                for lt, st in zip(local.block_range(lb), source.block_range(sb), strict=True):
                    local_match[lt] = MOVED
                    source_match[st] = MOVED

    for local_blocks, source_blocks in regions:
        local_words = [
            t for b in local_blocks if b not in moved_local for t in local.block_range(b)
        ]
        source_words = [
            t for b in source_blocks if b not in moved_source for t in source.block_range(b)
        ]
        a = [local.keys[t] for t in local_words]
        b = [source.keys[t] for t in source_words]
        for tag, i1, i2, j1, j2 in _cleanup(_diff(a, b)):
            if tag != "equal":
                continue
            for i, j in zip(range(i1, i2), range(j1, j2), strict=True):
                local_match[local_words[i]] = source_words[j]
                source_match[source_words[j]] = local_words[i]
    return Alignment(
        local, source, tuple(local_match), tuple(source_match), tuple(moves), tuple(same)
    )
