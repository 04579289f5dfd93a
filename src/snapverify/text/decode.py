"""Bytes to text: declared charsets honoured, wrong ones detected, mojibake repaired.

The order, for bytes without a byte order mark: the declared charset when the bytes
decode cleanly under it (valid UTF-8 beats a declared single-byte Western charset);
then UTF-8; then UTF-8 with replacement characters when the bytes hold more valid
UTF-8 sequences than invalid ones (a UTF-8 file with a few bad bytes stays UTF-8, not
a legacy code page); then windows-1252 when it reads as Western text (accented
letters inside mostly ASCII words, the usual punctuation); then detection on the
words that hold non-ASCII bytes, where a mostly-English page's few Cyrillic words are
not drowned by its markup.
"""

from __future__ import annotations

import codecs
import logging
import re
from email.message import Message

import charset_normalizer
import ftfy
import ftfy.badness

__all__ = [
    "NotADocument",
    "charset_of",
    "check_document",
    "decode_document",
    "decode_html",
    "is_utf8_page",
    "repair_mojibake",
]

logger = logging.getLogger(__name__)

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.IGNORECASE
)
# UTF-8 read as Latin-1/cp1252 leaves a lead byte (Ã, Â, â, Ð...) before a continuation
# byte's character; only then is ftfy (slow on long pages) asked to look.
_MOJIBAKE_HINT = re.compile(
    "[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e"
    "\u0192\u02c6\u02dc\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030"
    "\u2039\u203a\u20ac\u2122]"
)


# Substrings every common kind of such mojibake leaves (Latin, punctuation, Cyrillic,
# Arabic, CJK punctuation, full-width forms), read as cp1252 ("â€") or as Latin-1
# ("â" + a C1 control); looking for them costs a memchr each.
def _has_mojibake_lead(text: str) -> bool:
    return (
        "Ã" in text
        or "Â" in text
        or "â€" in text
        or "â\x80" in text
        or "Ð" in text
        or "Ñ" in text
        or "Ø" in text
        or "Ù" in text
        or "ã€" in text
        or "ã\x80" in text
        or "ï¼" in text
        or "Å" in text
    )


# Words holding non-ASCII bytes: what tells one legacy code page from another.
_NON_ASCII_WORD = re.compile(rb"""[^\s<>"'=]*[\x80-\xff][^\s<>"'=]*""")
# What windows-1252 text shows outside ASCII: Latin-1 letters, French ligatures and
# the usual punctuation and symbols. Anything else (superscripts inside words, "Ÿ",
# currency signs of other code pages) says the bytes are another code page.
_WESTERN = frozenset(
    "ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÐÑÒÓÔÕÖØÙÚÛÜÝÞßàáâãäåæçèéêëìíîïðñòóôõöøùúûüýþÿŒœŠšŽž"
    "‘’‚“”„–—…•€™«»°£¥©®§¿¡½¼¾²³·\u00a0"
)
_UNICODE_ONLY = ("utf_16", "utf_16_be", "utf_16_le", "utf_32", "utf_32_be", "utf_32_le")

# gzip, bzip2, xz, zip and zstd files start with these.
_COMPRESSED = (b"\x1f\x8b", b"BZh", b"\xfd7zXZ", b"PK\x03\x04", b"\x28\xb5\x2f\xfd")
_SINGLE_BYTE_WESTERN = {"latin-1", "iso8859-1", "cp1252", "ascii"}


def _same(text: str) -> str:
    return text


class NotADocument(ValueError):
    """The bytes are not text: empty, binary, or undecodable after detection."""


def _codec(label: str | None) -> str | None:
    if not label:
        return None
    try:
        return codecs.lookup(label.strip().strip("\"'")).name
    except LookupError:
        return None


def _bom(data: bytes) -> str | None:
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    return None


def repair_mojibake(text: str) -> str:
    """Undo mojibake (UTF-8 read as Latin-1 or cp1252) when the text shows it."""
    # ftfy is slow on long texts; only pay for it when the text looks broken.
    if not text.isascii() and _has_mojibake_lead(text) and _MOJIBAKE_HINT.search(text):
        # ftfy.fix_encoding changes nothing it is not confident of; its badness
        # test would miss a lone "â€™" in one short block.
        repaired: str = ftfy.fix_encoding(text)
        if repaired != text:
            logger.debug("repaired mojibake")
        return repaired
    return text


def _decode(data: bytes, declared: str | None, *, strict: bool, repair: bool = True) -> str:
    fix = repair_mojibake if repair else _same
    bom = _bom(data)
    if bom:
        # FF FE 00 00 opens UTF-32-LE, and also UTF-16-LE text that starts with NUL.
        for name in (bom, "utf-16") if data.startswith(codecs.BOM_UTF16_LE) else (bom,):
            try:
                return fix(data.decode(name))
            except UnicodeDecodeError:
                continue
        if strict:
            raise NotADocument("undecodable: the bytes do not fit their byte order mark")
        return fix(data.decode(bom, errors="replace"))
    candidates: list[str] = []
    codec = _codec(declared)
    if codec:
        # Declared single-byte Western charsets decode anything; valid UTF-8 beats them.
        if codec in _SINGLE_BYTE_WESTERN:
            candidates.append("utf-8")
        candidates.append(codec)
    candidates.append("utf-8")
    for name in candidates:
        try:
            return fix(data.decode(name))
        except (UnicodeDecodeError, LookupError):
            continue
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    if len(text) - _ascii_count(text) - bad > bad:
        logger.debug("UTF-8 with %d invalid byte sequences replaced", bad)
        return fix(text)
    words = _NON_ASCII_WORD.findall(data[:2_000_000])
    if _reads_as_western(words):
        return fix(data.decode("cp1252", errors="replace"))
    for name in _detected(b" ".join(words)[:200_000]) + _detected(data[:200_000]):
        try:
            return fix(data.decode(name))
        except (UnicodeDecodeError, LookupError):
            continue
    if strict:
        raise NotADocument("undecodable: no character encoding fits its bytes")
    return fix(data.decode(codec or "utf-8", errors="replace"))


def _ascii_count(text: str) -> int:
    return len(text.encode("ascii", errors="ignore"))


def _reads_as_western(words: list[bytes]) -> bool:
    """Whether the non-ASCII words read as windows-1252 text: mostly ASCII letters."""
    if not words:
        return False
    decoded = b" ".join(words).decode("cp1252", errors="replace")
    non_ascii = [c for c in decoded if not c.isascii()]
    letters = sum(1 for c in decoded if c.isalpha())
    return all(c in _WESTERN for c in non_ascii) and len(non_ascii) * 2 < letters


def _detected(sample: bytes) -> list[str]:
    """Encodings charset_normalizer finds for ``sample``, likeliest first."""
    if not sample:
        return []
    return [
        match.encoding
        for match in charset_normalizer.from_bytes(sample)
        if match.encoding and match.encoding not in _UNICODE_ONLY
    ]


def charset_of(content_type: str | None) -> str | None:
    """The ``charset`` parameter of an HTTP ``Content-Type`` value, if it has one."""
    if not content_type:
        return None
    message = Message()
    message["content-type"] = content_type
    charset = message.get_param("charset")
    return charset.strip() or None if isinstance(charset, str) else None


def check_document(data: bytes) -> None:
    """Refuse bytes that cannot be a document, before anything reads them.

    Raises:
        NotADocument: empty or blank, compressed, or binary (NUL bytes outside
            UTF-16/32 with a byte order mark).
    """
    if not data.strip():
        raise NotADocument("empty: the file holds no text")
    if data.startswith(_COMPRESSED):
        raise NotADocument("compressed: decompress it first")
    if _bom(data) is None and b"\x00" in data:
        raise NotADocument("binary: the file holds NUL bytes, not text")


def decode_document(data: bytes) -> str:
    """Decode a local copy, refusing what is not a document.

    Args:
        data: the file's bytes.

    Returns:
        The decoded text.

    Raises:
        NotADocument: empty or blank, binary (NUL bytes outside UTF-16/32), or
            undecodable after charset detection.
    """
    check_document(data)
    declared = None
    match = _META_CHARSET.search(data[:4096])
    if match:
        declared = match.group(1).decode("ascii", "replace")
    text = _decode(data, declared, strict=True)
    if not text.strip():
        raise NotADocument("empty: the file holds no text")
    if "\x00" in text:  # UTF-16/32 with a BOM can still decode to NUL characters
        raise NotADocument("binary: the file holds NUL bytes, not text")
    return text


def is_utf8_page(data: bytes, charset: str | None = None) -> bool:
    """Whether :func:`decode_html` would read ``data`` as UTF-8 (no byte order mark).

    Lets a parser take the bytes as they are, which is cheaper than decoding them
    to text and handing the text over.
    """
    if _bom(data) is not None:
        return False
    declared = _declared(data, charset)
    codec = _codec(declared)
    if codec is not None and codec != "utf-8" and codec not in _SINGLE_BYTE_WESTERN:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _declared(data: bytes, charset: str | None) -> str | None:
    if _codec(charset):
        return charset
    match = _META_CHARSET.search(data[:4096])
    return match.group(1).decode("ascii", "replace") if match else None


def decode_html(data: bytes, charset: str | None = None, *, repair: bool = True) -> str:
    """Decode an HTML page; never raises.

    Args:
        data: the page's bytes.
        charset: the charset from the HTTP ``Content-Type`` header, if any; it is
            honoured unless the bytes contradict it, then the ``<meta>`` charset,
            then detection.
        repair: repair mojibake in the whole page; :func:`~snapverify.text.extract.extract`
            turns it off and repairs only the text it keeps, which is cheaper.

    Returns:
        The decoded text (undecodable bytes replaced).
    """
    return _decode(data, _declared(data, charset), strict=False, repair=repair)
