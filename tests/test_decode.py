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


# -- mostly-English pages with a few words in another code page; UTF-8 with bad bytes ----

ENGLISH = (
    "<p>The council met on Tuesday and voted to keep the library open. Residents said"
    " the decision was welcome after months of uncertainty about its future.</p>\n"
) * 20


def _page(extra: str, charset: str = "utf-8") -> str:
    return (
        f'<html><head><meta charset="{charset}"><title>News</title></head>'
        f"<body>{ENGLISH}<p>{extra}</p></body></html>"
    )


@pytest.mark.parametrize(
    ("extra", "encoding"),
    [
        ("Москва заявила, что переговоры продолжатся", "cp1251"),
        (
            "The caf\u00e9 owner said \u201cd\u00e9j\u00e0 vu\u201d \u2014 na\u00efve fa\u00e7ade",
            "cp1252",
        ),
        ("Z\u00fcrich and K\u00f6ln were named", "cp1252"),
        ("\u0141\u00f3d\u017a i Krak\u00f3w s\u0105 pi\u0119kne", "cp1250"),
    ],
)
def test_a_mostly_english_page_labelled_utf8_decodes_its_few_foreign_words(
    extra: str, encoding: str
) -> None:
    data = _page(extra).encode(encoding)
    assert extra in decode_html(data)
    assert extra in decode_html(data, "utf-8")
    assert extra in decode_document(data)


def test_utf8_with_a_few_invalid_bytes_stays_utf8() -> None:
    text = _page(
        "Il a dit \u00ab bonjour \u00bb \u00e0 Zo\u00eb \u2014 \u5317\u4eac \u2014 caf\u00e9"
    )
    data = text.encode("utf-8")
    broken = data[:300] + b"\xff\xfe" + data[300:900] + b"\x92" + data[900:]
    for decoded in (decode_html(broken), decode_html(broken, "utf-8"), decode_document(broken)):
        assert "Zo\u00eb \u2014 \u5317\u4eac \u2014 caf\u00e9" in decoded
        assert decoded.count("\ufffd") == 3  # only the bad bytes are replaced


def test_declared_charset_wins_when_the_bytes_decode_under_it() -> None:
    # Valid windows-1251, declared so: no detection second-guesses it.
    data = _page("Москва", "windows-1251").encode("cp1251")
    assert "Москва" in decode_html(data)
    assert "Москва" in decode_html(data, "windows-1251")
