"""Word operations for one passage, and the sentence a person reads about them."""

from __future__ import annotations

import re
from collections.abc import Sequence

from snapverify.text.normalise import Tokens

__all__ = ["Ops", "describe", "merge_ops", "quote", "span_text"]

Ops = tuple[tuple[str, str], ...]

_TRAILING = re.compile(r"[^\s\w]*")
_LEADING_PUNCT = re.compile(r"[\"'“‘«(\[¿¡]*$")
_NUMBER = re.compile(r"^[\d.,:/%-]+$")
_MAX_QUOTE = 60


def span_text(text: str, tokens: Tokens, first: int, last: int) -> str:
    """The original text from word ``first`` to word ``last`` (inclusive).

    Punctuation glued to the ends (an opening quote, a closing full stop) comes
    along so the excerpt reads naturally.
    """
    start = tokens.starts[first]
    lead = _LEADING_PUNCT.search(text, 0, start)
    if lead is not None:
        start = lead.start()
    end = tokens.ends[last]
    trail = _TRAILING.match(text, end)
    if trail is not None:
        end = trail.end()
    return text[start:end]


def merge_ops(ops: Sequence[tuple[str, str]]) -> Ops:
    """Join consecutive operations of the same kind; a deletion precedes its insertion."""
    merged: list[tuple[str, str]] = []
    for op, text in ops:
        if not text:
            continue
        if merged and merged[-1][0] == op:
            merged[-1] = (op, f"{merged[-1][1]} {text}")
        elif op == "delete" and merged and merged[-1][0] == "insert":
            # A replacement reads old then new, whatever order the diff found them in.
            inserted = merged.pop()
            if merged and merged[-1][0] == "delete":
                merged[-1] = ("delete", f"{merged[-1][1]} {text}")
            else:
                merged.append((op, text))
            merged.append(inserted)
        else:
            merged.append((op, text))
    return tuple(merged)


def quote(text: str, limit: int = _MAX_QUOTE) -> str:
    """``text`` in double quotes, cut at about ``limit`` characters."""
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return f'"{text}"'


def _trim_common(old: str, new: str) -> tuple[str, str]:
    for mark in ",.;:!?\"'”’)":
        if old.endswith(mark) and new.endswith(mark) and len(old) > 1 and len(new) > 1:
            old, new = old[:-1], new[:-1]
    return old, new


def _is_name(text: str) -> bool:
    words = text.split()
    return 0 < len(words) <= 3 and all(word[:1].isupper() for word in words)


def describe(ops: Ops, *, names: bool = True) -> str:
    """Say in a few words what the operations change.

    ``"15" → "16"``; ``"not" inserted``; ``name "Edilov" → "Yedilov"``; several
    changes are listed, the first three in full. ``names=False`` for text in title
    case, where capitals do not mark a name.
    """
    changes: list[str] = []
    n = 0
    while n < len(ops):
        op, text = ops[n]
        if op == "equal":
            n += 1
            continue
        if op == "delete" and n + 1 < len(ops) and ops[n + 1][0] == "insert":
            # Punctuation glued to both sides ("Edilov," → "Yedilov,") is not the change.
            text, new = _trim_common(text, ops[n + 1][1])
            if _NUMBER.match(text.strip(" .,")) and _NUMBER.match(new.strip(" .,")):
                changes.append(f"{quote(text)} → {quote(new)}")
            elif names and _is_name(text) and _is_name(new):
                changes.append(f"name {quote(text)} → {quote(new)}")
            else:
                changes.append(f"{quote(text)} → {quote(new)}")
            n += 2
            continue
        changes.append(f"{quote(text)} {'inserted' if op == 'insert' else 'deleted'}")
        n += 1
    if not changes:
        return "punctuation or capitalisation changed"
    shown = "; ".join(changes[:3])
    if len(changes) > 3:
        shown += f"; and {len(changes) - 3} more change{'s' if len(changes) > 4 else ''}"
    return shown
