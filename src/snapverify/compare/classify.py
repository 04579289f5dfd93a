"""Turn one source's word alignment into findings: edited, missing, added, moved.

Each finding comes with a *key* that names the change independently of the
source, so the same change seen in several captures becomes one finding
(:mod:`snapverify.compare.timeline`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from rapidfuzz.distance import Indel

from snapverify.compare.align import MOVED, UNMATCHED, Alignment, Side
from snapverify.compare.diff import Ops, describe, merge_ops, quote, span_text
from snapverify.models import Finding, FindingKind
from snapverify.text.normalise import normalise, word_count, word_keys

__all__ = ["Classified", "Keyed", "classify"]

# A missing passage and an added one this alike are one passage that moved.
_MOVED_SIMILARITY = 0.8


@dataclass(frozen=True, slots=True)
class Keyed:
    """A finding from one source, with the key that identifies its change."""

    key: tuple[object, ...]
    finding: Finding


def _source_text(source: Side, words: list[int]) -> str:
    by_block: dict[int, list[int]] = defaultdict(list)
    for word in words:
        by_block[source.owner[word]].append(word)
    pieces = []
    for block in sorted(by_block):
        first = source.first[block]
        rel = by_block[block]
        pieces.append(
            span_text(source.texts[block], source.tokens(block), min(rel) - first, max(rel) - first)
        )
    return "\n\n".join(pieces)


def _runs(side: Side, words: list[int], op: str) -> list[tuple[str, str]]:
    """Text of consecutive words of one block each, as (op, text) pieces."""
    pieces: list[tuple[str, str]] = []
    start = 0
    for n in range(1, len(words) + 1):
        if (
            n == len(words)
            or words[n] != words[n - 1] + 1
            or (side.owner[words[n]] != side.owner[words[start]])
        ):
            block = side.owner[words[start]]
            first = side.first[block]
            text = span_text(
                side.texts[block], side.tokens(block), words[start] - first, words[n - 1] - first
            )
            pieces.append((op, text))
            start = n
    return pieces


def _block_ops(alignment: Alignment, block: int, inserts: list[int]) -> Ops:
    local, source = alignment.local, alignment.source
    steps: list[tuple[str, int]] = []
    pending = sorted(inserts)
    k = 0
    for word in local.block_range(block):
        target = alignment.local_match[word]
        if target >= 0:
            while k < len(pending) and pending[k] < target:
                steps.append(("insert", pending[k]))
                k += 1
            steps.append(("equal", word))
        else:
            steps.append(("delete", word))
    steps.extend(("insert", word) for word in pending[k:])
    ops: list[tuple[str, str]] = []
    n = 0
    while n < len(steps):
        op = steps[n][0]
        m = n
        while m < len(steps) and steps[m][0] == op:
            m += 1
        words = [word for _, word in steps[n:m]]
        ops.extend(_runs(source if op == "insert" else local, words, op))
        n = m
    return merge_ops(ops)


def _after(alignment: Alignment, source_word: int) -> int:
    """The local block index that the source passage starting at ``source_word`` follows."""
    local = alignment.local
    moved_to = {sb: lb for lb, sb in alignment.moves}
    for word in range(source_word - 1, -1, -1):
        target = alignment.source_match[word]
        if target >= 0:
            return local.indices[local.owner[target]]
        if target == MOVED:
            return local.indices[moved_to[alignment.source.owner[word]]]
    return -1


def _before(local: Side, lb: int) -> int:
    """The local block index before block ``lb`` (-1 at the start)."""
    return local.indices[lb - 1] if lb > 0 else -1


def _words(text: str) -> str:
    count = word_count(text)
    return f"{count} word{'s' if count != 1 else ''}"


def _joined(text: str) -> str:
    """The words of ``text`` run together: equal for texts that differ in spacing alone."""
    return "".join(word_keys(text))


def _spacing_only(ops: Ops) -> bool:
    """Whether every change in ``ops`` only joins or splits words ("UpdatedPolice").

    Each run of changes between unchanged words must delete the very characters it
    inserts; a word that moved elsewhere in the sentence is a change.
    """
    deleted: list[str] = []
    inserted: list[str] = []
    for op, text in (*ops, ("equal", "")):
        if op == "delete":
            deleted.append(_joined(text))
        elif op == "insert":
            inserted.append(_joined(text))
        elif deleted or inserted:
            if "".join(deleted) != "".join(inserted):
                return False
            deleted, inserted = [], []
    return True


@dataclass(frozen=True, slots=True)
class Classified:
    """One source's findings and how many local words it has in aligned passages."""

    findings: list[Keyed]
    matched_words: int


def classify(alignment: Alignment) -> Classified:
    """Findings of one source against the local copy.

    Args:
        alignment: the word alignment of the local copy with the source.

    Returns:
        Keyed findings (without sources or dates; the timeline adds them) and the
        number of local words the source has, moved passages included.
    """
    local, source = alignment.local, alignment.source
    moved_local = {lb for lb, _ in alignment.moves}
    moved_source = {sb for _, sb in alignment.moves}

    # Blocks matched whole need no word-by-word look (most of an unchanged article).
    same_local = dict(alignment.same)
    same_source = {sb for _, sb in alignment.same}
    source_hits = [0] * len(source.texts)
    for sb in range(len(source.texts)):
        if sb in same_source:
            source_hits[sb] = len(source.signature(sb))
            continue
        for word in source.block_range(sb):
            if alignment.source_match[word] >= 0:
                source_hits[sb] += 1
    added = [
        sb for sb in range(len(source.texts)) if not source_hits[sb] and sb not in moved_source
    ]
    added_set = set(added)

    # Inserted words of partly matched source blocks belong to the local block they touch.
    inserts: dict[int, list[int]] = defaultdict(list)
    for sb in range(len(source.texts)):
        if sb in added_set or sb in moved_source or sb in same_source:
            continue
        previous: int | None = None
        pending: list[int] = []
        for word in source.block_range(sb):
            target = alignment.source_match[word]
            if target >= 0:
                previous = local.owner[target]
                if pending:
                    inserts[previous].extend(pending)
                    pending = []
            elif target == UNMATCHED:
                if previous is None:
                    pending.append(word)
                else:
                    inserts[previous].append(word)

    found: list[Keyed] = []
    missing: list[int] = []
    for lb in range(len(local.texts)):
        if lb in moved_local:
            continue
        if lb in same_local and lb not in inserts:
            # The same block, word for word; only typography may differ.
            remote = source.texts[same_local[lb]]
            if remote != local.texts[lb] and normalise(local.texts[lb]) != normalise(remote):
                found.append(_cosmetic(local, lb, remote))
            continue
        words = local.block_range(lb)
        matched = [alignment.local_match[w] for w in words if alignment.local_match[w] >= 0]
        if not matched:
            missing.append(lb)
            continue
        deleted = len(matched) < len(words)
        extra = inserts.get(lb, [])
        whole = source.owner[matched[0]]
        if not deleted and not extra and source.signature(whole) == local.signature(lb):
            # The common case: the same block, word for word; only typography may differ.
            remote = source.texts[whole]
            if remote != local.texts[lb] and normalise(local.texts[lb]) != normalise(remote):
                found.append(_cosmetic(local, lb, remote))
            continue
        remote = _source_text(source, matched + extra)
        if deleted or extra:
            found.append(_edited(alignment, lb, remote, extra))
        elif normalise(local.texts[lb]) != normalise(remote):
            found.append(_cosmetic(local, lb, remote))

    runs: list[list[int]] = []
    for sb in added:
        if runs and runs[-1][-1] + 1 == sb:
            runs[-1].append(sb)
        else:
            runs.append([sb])

    # A passage missing here and added there, nearly alike, moved (and maybe changed).
    matched_words = alignment.matched_words
    for lb in list(missing):
        for run in runs:
            run_keys = [key for sb in run for key in source.signature(sb)]
            if (
                local.signature(lb) != tuple(run_keys)
                and "".join(local.signature(lb)) == "".join(run_keys)
                and _after(alignment, source.first[run[0]]) == _before(local, lb)
            ):
                # The same characters in the same place, words joined or split by markup.
                matched_words += len(local.signature(lb))
                missing.remove(lb)
                runs.remove(run)
                remote = "\n\n".join(source.texts[sb] for sb in run)
                found.append(_cosmetic(local, lb, remote, spacing=True))
                break
            if Indel.normalized_similarity(local.signature(lb), run_keys) >= _MOVED_SIMILARITY:
                matched_words += _common_words(local.signature(lb), run_keys)
                missing.remove(lb)
                runs.remove(run)
                found.extend(_moved_changed(alignment, lb, run))
                break

    for lb in missing:
        text = local.texts[lb]
        found.append(
            Keyed(
                ("missing", local.indices[lb]),
                Finding(
                    kind=FindingKind.MISSING,
                    substantive=True,
                    detail=f"passage missing from the source ({_words(text)}): {quote(text)}",
                    local_block=local.indices[lb],
                    local_text=text,
                    diff=(("delete", text),),
                ),
            )
        )
    for run in runs:
        text = "\n\n".join(source.texts[sb] for sb in run)
        after = _after(alignment, source.first[run[0]])
        where = "at the start" if after < 0 else f"after block {after}"
        found.append(
            Keyed(
                ("added", " ".join(key for sb in run for key in source.signature(sb))),
                Finding(
                    kind=FindingKind.ADDED,
                    substantive=True,
                    detail=f"passage added {where} ({_words(text)}): {quote(text)}",
                    insert_after=after,
                    remote_text=text,
                    diff=(("insert", text),),
                ),
            )
        )
    for lb, sb in alignment.moves:
        found.append(_moved(alignment, lb, _after(alignment, source.first[sb]), source.texts[sb]))
    return Classified(found, matched_words)


def _common_words(a: tuple[str, ...], b: list[str]) -> int:
    return sum(op.src_end - op.src_start for op in Indel.opcodes(a, b) if op.tag == "equal")


def _edited(alignment: Alignment, lb: int, remote: str, inserts: list[int]) -> Keyed:
    ops = _block_ops(alignment, lb, inserts)
    if _spacing_only(ops):
        return _cosmetic(alignment.local, lb, remote, spacing=True)
    return _edited_finding(alignment.local, lb, remote, ops)


def _edited_finding(local: Side, lb: int, remote: str, ops: Ops) -> Keyed:
    return Keyed(
        ("edited", local.indices[lb], normalise(remote).casefold()),
        Finding(
            kind=FindingKind.EDITED,
            substantive=True,
            detail=describe(ops),
            local_block=local.indices[lb],
            local_text=local.texts[lb],
            remote_text=remote,
            diff=ops,
        ),
    )


def _cosmetic(local: Side, lb: int, remote: str, *, spacing: bool = False) -> Keyed:
    old, new = normalise(local.texts[lb]).split(), normalise(remote).split()
    ops = merge_ops(
        [
            (
                "equal" if op.tag == "equal" else "delete",
                " ".join(old[op.src_start : op.src_end]),
            )
            if op.tag in ("equal", "delete")
            else ("insert", " ".join(new[op.dest_start : op.dest_end]))
            for op in Indel.opcodes(old, new)
        ]
    )
    changes = [text for op, text in ops if op != "equal"][:4]
    detail = "spacing between words changed" if spacing else "punctuation or capitalisation changed"
    if changes:
        detail += ": " + ", ".join(quote(text, 30) for text in changes)
    return Keyed(
        ("cosmetic", local.indices[lb], normalise(remote)),
        Finding(
            kind=FindingKind.EDITED,
            substantive=False,
            detail=detail,
            local_block=local.indices[lb],
            local_text=local.texts[lb],
            remote_text=remote,
            diff=ops,
        ),
    )


def _moved(alignment: Alignment, lb: int, after: int, remote: str) -> Keyed:
    local = alignment.local
    where = "to the start" if after < 0 else f"to after block {after}"
    return Keyed(
        ("moved", local.indices[lb]),
        Finding(
            kind=FindingKind.MOVED,
            substantive=False,
            detail=f"passage moved {where}: {quote(local.texts[lb])}",
            local_block=local.indices[lb],
            insert_after=after,
            local_text=local.texts[lb],
            remote_text=remote,
        ),
    )


def _moved_changed(alignment: Alignment, lb: int, run: list[int]) -> list[Keyed]:
    local, source = alignment.local, alignment.source
    remote = "\n\n".join(source.texts[sb] for sb in run)
    found = [_moved(alignment, lb, _after(alignment, source.first[run[0]]), remote)]
    old = list(local.block_range(lb))
    new = [word for sb in run for word in source.block_range(sb)]
    a = [local.keys[w] for w in old]
    b = [source.keys[w] for w in new]
    if a == b:
        return found
    ops: list[tuple[str, str]] = []
    for op in Indel.opcodes(a, b):
        if op.tag in ("equal", "delete"):
            ops.extend(_runs(local, old[op.src_start : op.src_end], op.tag))
        if op.tag == "insert":
            ops.extend(_runs(source, new[op.dest_start : op.dest_end], "insert"))
    found.append(_edited_finding(local, lb, remote, merge_ops(ops)))
    return found
