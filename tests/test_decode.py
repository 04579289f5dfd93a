"""Bytes to text: declared charsets, detection, mojibake repair, byte order marks."""

from __future__ import annotations

import codecs

import pytest

from snapverify.text.decode import NotADocument, charset_of, decode_document, decode_html

RUSSIAN = (
    "Шесть человек были осуждены на прошлой неделе за организацию беспорядков 16 декабря "
    "в казахском городе Жанаозен. Правительство признаёт, что были убиты 15 человек."
)
FRENCH = "Le café était fermé à cause de la grève; les élèves ont dû rentrer à pied."
TYPOGRAPHY = "Café \u2014 \u201cquoted\u201d naïve résumé, it\u2019s fine"


def test_declared_charset_is_honoured_when_the_bytes_fit() -> None:
    data = FRENCH.encode("cp1252")
    assert decode_html(data, "windows-1252") == FRENCH
    assert decode_html(data, "iso-8859-1") == FRENCH


def test_meta_charset_is_used_without_a_header() -> None:
    page = f'<html><head><meta charset="windows-1251"></head><body>{RUSSIAN}</body></html>'
    assert RUSSIAN in decode_html(page.encode("cp1251"))
    http_equiv = (
        '<meta http-equiv="Content-Type" content="text/html; charset=koi8-r">' + RUSSIAN
    ).encode("koi8-r")
    assert RUSSIAN in decode_html(http_equiv)


def test_header_charset_beats_meta_charset() -> None:
    page = f'<meta charset="utf-8"><p>{RUSSIAN}</p>'.encode("koi8-r")
    assert RUSSIAN in decode_html(page, "koi8-r")


def test_windows_1251_labelled_utf8_is_detected() -> None:
    data = RUSSIAN.encode("cp1251")
    assert decode_html(data, "utf-8") == RUSSIAN
    labelled = f'<meta charset="utf-8"><p>{RUSSIAN}</p>'.encode("cp1251")
    assert RUSSIAN in decode_html(labelled)
    assert decode_document(data) == RUSSIAN


def test_utf8_labelled_latin1_is_read_as_utf8() -> None:
    # Declared single-byte Western charsets decode anything; valid UTF-8 wins over them.
    assert decode_html(TYPOGRAPHY.encode("utf-8"), "iso-8859-1") == TYPOGRAPHY
    assert decode_html(TYPOGRAPHY.encode("utf-8"), "windows-1252") == TYPOGRAPHY


def test_unknown_declared_charset_falls_back() -> None:
    assert decode_html(FRENCH.encode("utf-8"), "x-no-such-charset") == FRENCH


def test_latin1_mojibake_of_utf8_is_repaired() -> None:
    mojibake = TYPOGRAPHY.encode("utf-8").decode("latin-1")
    assert mojibake != TYPOGRAPHY
    assert decode_document(mojibake.encode("utf-8")) == TYPOGRAPHY
    assert decode_html(mojibake.encode("utf-8"), "utf-8") == TYPOGRAPHY


def test_cp1252_mojibake_of_utf8_is_repaired() -> None:
    text = "Zhanaozen \u2014 naïve café"
    mojibake = text.encode("utf-8").decode("cp1252")
    assert decode_document(mojibake.encode("utf-8")) == text


def test_correct_text_is_left_alone() -> None:
    assert decode_document(TYPOGRAPHY.encode("utf-8")) == TYPOGRAPHY
    assert decode_document(RUSSIAN.encode("utf-8")) == RUSSIAN


@pytest.mark.parametrize(
    "encoding", ["utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-be"]
)
def test_byte_order_marks(encoding: str) -> None:
    boms = {"utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE}
    boms["utf-32-be"] = codecs.BOM_UTF32_BE
    data = boms.get(encoding, b"") + RUSSIAN.encode(encoding)
    assert decode_document(data) == RUSSIAN
    assert decode_html(data) == RUSSIAN


def test_bom_wins_over_a_declared_charset() -> None:
    data = codecs.BOM_UTF8 + f'<meta charset="windows-1251">{RUSSIAN}'.encode()
    assert RUSSIAN in decode_html(data, "windows-1251")


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b" \r\n\t ", "empty"),
        (codecs.BOM_UTF16_LE, "empty"),
        (b"text\x00more", "binary"),
        ("\x00text".encode("utf-16"), "binary"),
        (bytes(range(0x80, 0x100)) * 4, "undecodable"),
        (codecs.BOM_UTF8 + b"ok \xff\xfe\xfd broken", "undecodable"),
    ],
)
def test_not_a_document(data: bytes, reason: str) -> None:
    with pytest.raises(NotADocument, match=f"^{reason}:"):
        decode_document(data)


def test_decode_html_never_raises() -> None:
    assert decode_html(b"") == ""
    assert "ok" in decode_html(codecs.BOM_UTF8 + b"ok \xff broken")
    assert decode_html(bytes(range(0x80, 0x100)))  # replaced, not raised


@pytest.mark.parametrize(
    ("content_type", "charset"),
    [
        ("text/html; charset=windows-1251", "windows-1251"),
        ('text/html; Charset="UTF-8"', "UTF-8"),
        ("text/html;charset=utf-8;q=1", "utf-8"),
        ("text/html", None),
        ("text/html; charset=", None),
        (None, None),
        ("", None),
    ],
)
def test_charset_of_a_content_type(content_type: str | None, charset: str | None) -> None:
    assert charset_of(content_type) == charset
