"""Normalisation and tokenisation for comparing text.

Two documents say the same thing when their *word keys* are equal: words cut
from the original text, NFKC-normalised, case-folded, with soft hyphens and
zero-width characters removed and apostrophes unified. Typography (quotes,
dashes, ellipses, spacing) is not part of a word key, so it never makes a change
substantive. :func:`normalise` gives the comparable *text* (punctuation kept), used
to tell a cosmetic difference (punctuation, case) from no difference at all.

Scripts written without spaces between words (Chinese, Japanese, Thai, Lao, Khmer,
Burmese) are cut into characters (grapheme clusters for the Southeast Asian scripts:
a letter with its vowel signs and tone marks), so a paragraph is many tokens, never one,
and a word diff shows the characters that changed.

A character reference left in text (a page that escaped ``&percnt;`` twice shows it
literally) stands for its character, in word keys and in :func:`normalise` alike.

Normalisation is only for comparing: reports always show the original text, which
is why tokens keep their spans in the original string.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from html.entities import html5

__all__ = [
    "Tokens",
    "character_share",
    "normalise",
    "tokenize",
    "unescape_references",
    "word_count",
    "word_keys",
]

# Ideographic scripts written without spaces: one character is one token.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f"
# Southeast Asian scripts written without spaces between words (Thai, Lao, Burmese,
# Khmer): one grapheme cluster (a letter and the marks that follow it) is one token.
_SPACELESS = (
    "\u0e01-\u0e4f\u0e81-\u0ecf\u1000-\u103f\u1050-\u109f\u1780-\u17dd\ua9e0-\ua9fe\uaa60-\uaa7f"
)
_SPACELESS_MARKS = (
    "\u0e31\u0e33-\u0e3a\u0e47-\u0e4e\u0eb1\u0eb3-\u0ebc\u0ec8-\u0ecd"
    "\u102b-\u103e\u1056-\u1059\u105e-\u1060\u1062-\u1064\u1067-\u106d\u1071-\u1074"
    "\u1082-\u108d\u108f\u109a-\u109d\u17b4-\u17d3\u17dd\ua9e5\uaa7b-\uaa7d"
)
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
_LETTER = rf"(?:[^\W{_CJK}{_SPACELESS}]|[{_MARKS}])"
_TOKEN = re.compile(
    rf"\d+(?:[.,]\d+)+"  # 1,000 and 3.5 are one token each
    rf"|[{_CJK}]"
    rf"|[{_SPACELESS}][{_SPACELESS_MARKS}{_INVISIBLE}]*"
    rf"|{_LETTER}+(?:[{_INVISIBLE}]+{_LETTER}+)*"  # a soft hyphen does not split a word
)
_ONE_CHARACTER = re.compile(rf"[{_CJK}{_SPACELESS}]")
_CLUSTER = re.compile(rf"[{_SPACELESS}]")
# A character reference: &name; (HTML5 names), &#NNN; or &#xHH;, after any number of
# escaped ampersands ("&amp;percnt;", escaped twice, is "%"): one pass decodes it all.
_REFERENCE = re.compile(
    r"&(?P<amps>(?:(?:amp|AMP|#0*38|#[xX]0*26);)*)"
    r"(?:(?P<name>[A-Za-z][A-Za-z0-9]{1,31})|#(?P<dec>[0-9]{1,7})|#[xX](?P<hex>[0-9A-Fa-f]{1,6}));"
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


def _reference(match: re.Match[str]) -> str:
    name, dec, hexa = match.group("name", "dec", "hex")
    if name is not None:
        char = html5.get(name + ";")
        tail = f"{name};"
    else:
        code = int(dec) if dec is not None else int(hexa, 16)
        valid = 0 < code < 0x110000 and not 0xD800 <= code < 0xE000
        char = chr(code) if valid else None
        tail = f"#{dec};" if dec is not None else f"#x{hexa};"
    if char is not None:
        return char
    # An unknown name after escaped ampersands: the ampersands decode, the name stays.
    return "&" + tail if match.group("amps") else match.group()


def unescape_references(text: str) -> str:
    """Replace the character references written out in ``text`` with their characters.

    Only complete references (``&percnt;``, ``&#37;``, ``&#x25;``, every HTML5 name)
    are replaced; an ``&`` that starts none is left as it is. A reference whose
    ampersand was escaped again (``&amp;percnt;``, ``&amp;amp;lt;``) is decoded whole.
    """
    return _REFERENCE.sub(_reference, text) if "&" in text else text


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
    # References after that (a soft hyphen inside one is gone), and again while decoding
    # them gives characters that the table changes; each round shortens the text.
    while "&" in text:
        decoded = unescape_references(text)
        if decoded == text:
            break
        text = unicodedata.normalize("NFKC", decoded).translate(_CHAR_TABLE)
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
    if "&" in text and _REFERENCE.search(text):
        return _tokenize_references(text)
    return _tokenize_plain(text)


def _tokenize_plain(text: str) -> Tokens:
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


def _tokenize_references(text: str) -> Tokens:
    """Tokens of text holding character references, with spans in the text as written."""
    pieces: list[str] = []
    starts: list[int] = []  # where each decoded character starts in ``text``
    ends: list[int] = []  # and where it ends: a reference's characters span all of it
    pos = 0
    for match in _REFERENCE.finditer(text):
        pieces.append(text[pos : match.start()])
        starts.extend(range(pos, match.start()))
        ends.extend(range(pos + 1, match.start() + 1))
        decoded = _reference(match)
        pieces.append(decoded)
        starts.extend([match.start()] * len(decoded))
        ends.extend([match.end()] * len(decoded))
        pos = match.end()
    pieces.append(text[pos:])
    starts.extend(range(pos, len(text)))
    ends.extend(range(pos + 1, len(text) + 1))
    tokens = _tokenize_plain("".join(pieces))
    return Tokens(
        tokens.keys,
        tuple(starts[start] for start in tokens.starts),
        tuple(ends[end - 1] for end in tokens.ends),
    )


def word_count(text: str) -> int:
    """About how many words ``text`` holds, in any script.

    Words are tokens; in scripts written without spaces, where a token is a character,
    two Chinese or Japanese characters count as one word and three Thai, Lao, Khmer or
    Burmese clusters do (their average word lengths), so a paragraph of those scripts
    is never one word, nor a short label five.
    """
    keys = word_keys(text)
    if text.isascii():
        return len(keys)
    ideographs = clusters = 0
    for key in keys:
        if _ONE_CHARACTER.match(key):
            if _CLUSTER.match(key):
                clusters += 1
            else:
                ideographs += 1
    return len(keys) - ideographs - clusters + (ideographs + 1) // 2 + (clusters + 2) // 3


def character_share(keys: tuple[str, ...]) -> float:
    """The share of ``keys`` that are single characters of a script written without spaces.

    Three such tokens in a row are far less telling than three words: text of one
    topic shares many of them without repeating a sentence.
    """
    if not keys:
        return 0.0
    return sum(1 for key in keys if _ONE_CHARACTER.match(key)) / len(keys)


@lru_cache(maxsize=32768)
def word_keys(text: str) -> tuple[str, ...]:
    """Return only the word keys of ``text``: the same as ``tokenize(text).keys``, faster."""
    if "&" in text and _REFERENCE.search(text):
        text = unescape_references(text)
    if text.isascii():
        return tuple(_ASCII_TOKEN.findall(text.lower()))
    fast = text.translate(_SAME_LENGTH)
    if fast.isascii():
        return tuple(_ASCII_TOKEN.findall(fast.lower()))
    return tuple(_key(word) for word in _TOKEN.findall(text))
