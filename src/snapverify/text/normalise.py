"""Normalisation and tokenisation for comparing text.

Two documents say the same thing when their *word keys* are equal: words cut
from the original text, NFKC-normalised, case-folded, with soft hyphens and
zero-width characters removed and apostrophes unified. Typography (quotes,
dashes, ellipses, spacing) is not part of a word key, so it never makes a change
substantive. :func:`normalise` gives the comparable *text* (punctuation kept), used
to tell a cosmetic difference (punctuation, case) from no difference at all.

Normalisation is only for comparing: reports always show the original text, which
is why tokens keep their spans in the original string.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["Tokens", "normalise", "tokenize", "word_keys"]

# Ideographic scripts written without spaces: one character is one token.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# Invisible characters that may sit inside a word and are dropped from its key.
_INVISIBLE = "\u00ad\u200b\u200c\u200d\u2060\ufeff"

# Combining marks (accents in decomposed text, Indic vowel signs, Arabic harakat) are
# not \w for Python's re, yet they belong to the word they sit in.
_MARKS = (
    "\u0300-\u036f\u0483-\u0489\u0591-\u05c7\u0610-\u061a\u064b-\u065f\u0670"
    "\u06d6-\u06ed\u0711\u0730-\u074a\u07a6-\u07b0\u0816-\u082d\u0900-\u0903"
    "\u093a-\u094f\u0951-\u0957\u0962\u0963\u0981-\u0983\u09bc-\u09d7\u0a01-\u0a03"
    "\u0a3c-\u0a51\u0a81-\u0a83\u0abc-\u0acd\u0b01-\u0b03\u0b3c-\u0b57\u0b82"
    "\u0bbe-\u0bcd\u0c00-\u0c04\u0c3e-\u0c56\u0c81-\u0c83\u0cbc-\u0cd6\u0d00-\u0d03"
    "\u0d3b-\u0d4d\u0e31\u0e34-\u0e3a\u0e47-\u0e4e\u0eb1\u0eb4-\u0ebc\u0ec8-\u0ecd"
    "\u0f71-\u0f84\u102b-\u103e\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
)
_LETTER = rf"(?:[^\W{_CJK}]|[{_MARKS}])"
_TOKEN = re.compile(
    rf"\d+(?:[.,]\d+)+"  # 1,000 and 3.5 are one token each
    rf"|[{_CJK}]"
    rf"|{_LETTER}+(?:[{_INVISIBLE}]+{_LETTER}+)*"  # a soft hyphen does not split a word
)

# The same tokens for ASCII-only text, which has no ideographs, marks or invisibles.
_ASCII_TOKEN = re.compile(r"\d+(?:[.,]\d+)+|\w+", re.ASCII)

_KEY_TABLE = str.maketrans({c: None for c in _INVISIBLE})
# One character for one, so offsets survive: lets ASCII-only text take the fast path.
_SAME_LENGTH = str.maketrans(
    {
        **{c: "'" for c in "\u2018\u2019\u201a\u201b\u2032\u02bc\u00b4"},
        **{c: '"' for c in "\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb"},
        **{c: "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"},
        **{c: " " for c in "\u00a0\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"},
        **{c: " " for c in "\u202f\u205f\u3000"},
        "\u2026": ".",
    }
)

_CHAR_TABLE = str.maketrans(
    {
        **{c: "'" for c in "\u2018\u2019\u201a\u201b\u2032\u02bc\u0060\u00b4"},
        **{c: '"' for c in "\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb\u301d\u301e"},
        **{c: "-" for c in "\u2010\u2011"},
        **{c: " - " for c in "\u2012\u2013\u2014\u2015\u2212\u2e3a\u2e3b"},
        **{c: None for c in _INVISIBLE},
        "\u2026": "...",
    }
)
_SPACED_DASH = re.compile(r"\s*(?:\s-{1,3}\s|-{2,3})\s*")
_SPACED_ELLIPSIS = re.compile(r"\.\s\.\s\.")
_WHITESPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    """Return ``text`` in comparable form, punctuation kept.

    Unicode NFKC; curly quotes, primes and guillemets become straight quotes;
    dashes become one spaced hyphen; ellipses become three dots; soft hyphens and
    zero-width characters vanish; runs of whitespace (non-breaking included)
    become one space.

    Args:
        text: any text.

    Returns:
        The normalised text, stripped.
    """
    # NFKC first: compatibility forms of dashes and quotes then meet the table.
    text = unicodedata.normalize("NFKC", text).translate(_CHAR_TABLE)
    text = _SPACED_DASH.sub(" - ", text)
    text = _SPACED_ELLIPSIS.sub("...", text)
    return _WHITESPACE.sub(" ", text).strip()


def _key(word: str) -> str:
    return unicodedata.normalize("NFKC", word.translate(_KEY_TABLE)).casefold()


@dataclass(frozen=True, slots=True)
class Tokens:
    """The words of a text: comparison keys and their spans in the original."""

    keys: tuple[str, ...]
    starts: tuple[int, ...]
    ends: tuple[int, ...]

    def __len__(self) -> int:
        return len(self.keys)


def tokenize(text: str) -> Tokens:
    """Cut ``text`` into words, keeping where each one lies.

    Args:
        text: original text.

    Returns:
        The word keys with their start and end offsets in ``text``.
    """
    keys: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    fast = text.translate(_SAME_LENGTH)
    if fast.isascii():
        for match in _ASCII_TOKEN.finditer(fast.lower()):
            keys.append(match.group())
            starts.append(match.start())
            ends.append(match.end())
    else:
        for match in _TOKEN.finditer(text):
            keys.append(_key(match.group()))
            starts.append(match.start())
            ends.append(match.end())
    return Tokens(tuple(keys), tuple(starts), tuple(ends))


@lru_cache(maxsize=32768)
def word_keys(text: str) -> tuple[str, ...]:
    """Return only the word keys of ``text``: the same as ``tokenize(text).keys``, faster."""
    if text.isascii():
        return tuple(_ASCII_TOKEN.findall(text.lower()))
    fast = text.translate(_SAME_LENGTH)
    if fast.isascii():
        return tuple(_ASCII_TOKEN.findall(fast.lower()))
    return tuple(_key(word) for word in _TOKEN.findall(text))
