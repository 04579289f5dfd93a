"""Normalisation and tokenisation: what makes two texts say the same words.

Typography (quotes, dashes, ellipses, spacing, soft hyphens, zero-width characters,
compatibility forms) must never reach a word key; tokens keep their spans in the
original text so reports can quote it.
"""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from snapverify.text.normalise import (
    character_share,
    normalise,
    tokenize,
    unescape_references,
    word_count,
    word_keys,
)

# -- normalise: the comparable text, punctuation kept ---------------------------------


@pytest.mark.parametrize(
    ("variant", "plain"),
    [
        ("\uff21\uff22\uff23 \uff11\uff12\uff13", "ABC 123"),  # full-width letters and digits
        ("\ufb01nance \ufb02ow", "finance flow"),  # ligatures
        ("x\u00b2", "x2"),  # superscript
        ("\u2460", "1"),  # circled digit
        ("\u212b", "\u00c5"),  # angstrom sign to A with ring
    ],
)
def test_normalise_applies_nfkc(variant: str, plain: str) -> None:
    assert normalise(variant) == normalise(plain)
    assert word_keys(variant) == word_keys(plain)


@pytest.mark.parametrize(
    "variant",
    [
        "\u201cquoted\u201d and \u2018single\u2019",  # English curly
        "\u201equoted\u201c and \u201asingle\u2018",  # German low-9
        "\u00abquoted\u00bb and \u2018single\u2019",  # guillemets
        "\u00bbquoted\u00ab and \u201bsingle\u2019",  # reversed guillemets, high reversed-9
        "\u201fquoted\u201d and \u2032single\u2032",  # double high reversed-9, primes
    ],
)
def test_curly_quotes_normalise_to_straight_ones(variant: str) -> None:
    assert normalise(variant) == "\"quoted\" and 'single'"
    assert word_keys(variant) == ("quoted", "and", "single")


def test_apostrophes_are_unified() -> None:
    assert normalise("it\u2019s") == normalise("it's") == normalise("it\u02bcs")
    assert word_keys("it\u2019s") == word_keys("it's") == word_keys("it\u02bcs")
    assert word_keys("don\u2019t") == word_keys("don't")


@pytest.mark.parametrize(
    "variant",
    [
        "before - after",
        "before -- after",
        "before --- after",
        "before \u2013 after",  # en dash
        "before \u2014 after",  # em dash
        "before \u2015 after",  # horizontal bar
        "before\u2014after",  # unspaced em dash
        "before\u2013after",  # unspaced en dash
        "before--after",
        "before \u2212 after",  # minus sign
        "before\u00a0\u2014 after",  # non-breaking space before the dash
    ],
)
def test_dashes_normalise_to_one_spaced_hyphen(variant: str) -> None:
    assert normalise(variant) == "before - after"
    assert word_keys(variant) == ("before", "after")


def test_hyphens_inside_words_stay_hyphens() -> None:
    assert normalise("well\u2010known") == normalise("well-known") == "well-known"
    assert normalise("non\u2011breaking") == "non-breaking"
    assert word_keys("well\u2010known") == word_keys("well-known")


@pytest.mark.parametrize("variant", ["wait\u2026 what", "wait... what", "wait. . . what"])
def test_ellipses_normalise_to_three_dots(variant: str) -> None:
    assert normalise(variant) == "wait... what"
    assert word_keys(variant) == ("wait", "what")


@pytest.mark.parametrize(
    "space", ["\u00a0", "\u2009", "\u202f", "\u2002", "\u2003", "\u3000", "\t", "\n", "  "]
)
def test_every_space_normalises_to_one_space(space: str) -> None:
    assert normalise(f"Dec.{space}16") == "Dec. 16"
    assert word_keys(f"Dec.{space}16") == ("dec", "16")


@pytest.mark.parametrize("invisible", ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"])
def test_zero_width_characters_vanish_inside_a_word(invisible: str) -> None:
    assert normalise(f"exam{invisible}ple") == "example"
    assert word_keys(f"exam{invisible}ple") == ("example",)


def test_soft_hyphen_inside_a_word_gives_the_same_key() -> None:
    assert word_keys("exam\u00adple") == word_keys("example") == ("example",)
    assert normalise("exam\u00adple") == "example"
    # Many soft hyphens, as hyphenating CMSs write them (trafilatura's eval pages do).
    assert word_keys("Werk\u00adzeug\u00adty\u00adpen") == ("werkzeugtypen",)
    assert tokenize("Werk\u00adzeug\u00adty\u00adpen").keys == ("werkzeugtypen",)


def test_whitespace_is_collapsed_and_stripped() -> None:
    assert normalise("  one \n\n two\t\tthree  \r\n") == "one two three"
    assert normalise("") == ""
    assert normalise(" \u00a0\n ") == ""


def test_case_is_kept_by_normalise_but_not_by_word_keys() -> None:
    assert normalise("The Moscow Times") == "The Moscow Times"
    assert word_keys("The MOSCOW times") == word_keys("the moscow Times")
    assert word_keys("STRASSE") == word_keys("stra\u00dfe")  # casefold, not lower


def test_cosmetic_variants_of_a_sentence_share_their_word_keys() -> None:
    plain = 'He said: "It\'s 1,000 - not 10..." and left.'
    fancy = "He\u00a0said: \u201cIt\u2019s 1,000 \u2014 not 10\u2026\u201d and le\u00adft."
    assert normalise(fancy) == normalise(plain)
    assert word_keys(fancy) == word_keys(plain)


def test_different_words_give_different_keys() -> None:
    assert word_keys("15 people") != word_keys("16 people")
    assert word_keys("not guilty") != word_keys("guilty")


# -- tokenize: keys with spans in the original text -----------------------------------


def _spans(text: str) -> list[str]:
    tokens = tokenize(text)
    return [text[s:e] for s, e in zip(tokens.starts, tokens.ends, strict=True)]


def test_token_spans_point_into_ascii_text() -> None:
    text = "Six people were convicted, last week."
    tokens = tokenize(text)
    assert tokens.keys == ("six", "people", "were", "convicted", "last", "week")
    assert _spans(text) == ["Six", "people", "were", "convicted", "last", "week"]
    assert len(tokens) == 6


def test_token_spans_point_into_the_original_typography() -> None:
    text = "\u201cIt\u2019s\u00a0here\u201d \u2014 exam\u00adple \uff21\uff22\uff23\u2026"
    tokens = tokenize(text)
    assert tokens.keys == ("it", "s", "here", "example", "abc")
    assert _spans(text) == ["It", "s", "here", "exam\u00adple", "\uff21\uff22\uff23"]


def test_token_spans_survive_characters_that_normalise_to_several() -> None:
    # U+2026 becomes three characters and U+FB01 two in normalised text: spans must not drift.
    text = "wait\u2026 \ufb01nal \u2014 word"
    assert tokenize(text).keys == ("wait", "final", "word")
    assert _spans(text) == ["wait", "\ufb01nal", "word"]


@pytest.mark.parametrize(
    ("text", "keys"),
    [
        ("1,000 people", ("1,000", "people")),
        ("1,000,000 dollars", ("1,000,000", "dollars")),
        ("3.5 percent", ("3.5", "percent")),
        ("from 12,300 to 14,000.", ("from", "12,300", "to", "14,000")),
        ("version 1.2.3", ("version", "1.2.3")),
        ("\uff11,\uff10\uff10\uff10 people", ("1,000", "people")),  # full-width digits
    ],
)
def test_numbers_with_separators_are_one_token(text: str, keys: tuple[str, ...]) -> None:
    assert tokenize(text).keys == keys
    assert word_keys(text) == keys


def test_a_trailing_separator_is_not_part_of_the_number() -> None:
    assert tokenize("in 2012, they").keys == ("in", "2012", "they")
    assert _spans("cost 1,000.") == ["cost", "1,000"]


@pytest.mark.parametrize(
    ("text", "keys"),
    [
        ("\u65e5\u672c\u8a9e", ("\u65e5", "\u672c", "\u8a9e")),  # kanji
        ("\u3072\u3089\u304c\u306a", ("\u3072", "\u3089", "\u304c", "\u306a")),  # hiragana
        ("\u30ab\u30bf\u30ab\u30ca", ("\u30ab", "\u30bf", "\u30ab", "\u30ca")),  # katakana
        ("\u8bdd\u5267\u300a\u7ea6\u5b9a\u300b", ("\u8bdd", "\u5267", "\u7ea6", "\u5b9a")),
        ("Tokyo\u6771\u4eac2020", ("tokyo", "\u6771", "\u4eac", "2020")),
    ],
)
def test_cjk_characters_are_single_tokens(text: str, keys: tuple[str, ...]) -> None:
    assert tokenize(text).keys == keys
    assert word_keys(text) == keys
    assert all(len(span) == 1 for span in _spans(text) if not span.isascii())


def test_empty_and_punctuation_only_text_has_no_tokens() -> None:
    assert len(tokenize("")) == 0
    assert tokenize(" \u2014 \u2026 \u201c\u201d ").keys == ()
    assert word_keys("--- ... !!!") == ()


def _assert_spans_hold_their_keys(text: str) -> None:
    """Tokens agree with word_keys, and each span, in order, holds exactly its key."""
    tokens = tokenize(text)
    assert tokens.keys == word_keys(text)
    previous_end = 0
    for key, start, end in zip(tokens.keys, tokens.starts, tokens.ends, strict=True):
        assert previous_end <= start < end <= len(text)
        assert word_keys(text[start:end]) == (key,)
        previous_end = end


@settings(max_examples=200, deadline=None, database=None)
@given(st.text(max_size=80))
def test_tokenize_agrees_with_word_keys_and_its_spans_hold_its_keys(text: str) -> None:
    _assert_spans_hold_their_keys(text)


@settings(max_examples=200, deadline=None, database=None)
@given(
    st.lists(st.from_regex(r"[a-z]{1,8}", fullmatch=True), min_size=1, max_size=8),
    st.data(),
)
def test_invisible_characters_and_odd_spaces_never_change_keys(
    words: list[str], data: st.DataObject
) -> None:
    noisy = []
    for word in words:
        cut = data.draw(st.integers(0, len(word)))
        mark = data.draw(st.sampled_from(["\u00ad", "\u200b", "\u2060", "\ufeff"]))
        noisy.append(word[:cut] + mark + word[cut:] if 0 < cut < len(word) else word)
    spaces = [
        data.draw(st.sampled_from([" ", "\u00a0", "\u2009", "\u202f", "  ", "\n"])) for _ in words
    ]
    text = "".join(word + space for word, space in zip(noisy, spaces, strict=True))
    assert word_keys(text) == tuple(words)
    assert normalise(text) == " ".join(words)


# -- combining marks and compatibility forms (regressions: once broken in the core) ---


@pytest.mark.parametrize("word", ["M\u00fcller", "caf\u00e9", "S\u00e3o", "Vi\u1ec7t"])
def test_decomposed_accents_give_the_same_keys_as_precomposed(word: str) -> None:
    decomposed = unicodedata.normalize("NFD", word)
    assert decomposed != word
    assert word_keys(decomposed) == word_keys(word) == (word.casefold(),)


def test_combining_vowel_signs_are_part_of_the_word() -> None:
    # "dil" (heart) and "daal" (lentils) differ only in their vowel sign.
    assert word_keys("\u0926\u093f\u0932") != word_keys("\u0926\u093e\u0932")


def test_combining_marks_stay_inside_the_token_and_its_span() -> None:
    arabic = "\u0645\u064f\u062d\u064e\u0645\u0651\u064e\u062f"  # with harakat
    text = f"Mu\u0308ller sagt {arabic}"
    assert tokenize(text).keys == ("m\u00fcller", "sagt", unicodedata.normalize("NFKC", arabic))
    assert _spans(text) == ["Mu\u0308ller", "sagt", arabic]


@settings(max_examples=200, deadline=None, database=None)
@example("a\ufe58b")
@example("a\ufe31b")
@given(st.text(max_size=40))
def test_normalise_is_idempotent(text: str) -> None:
    once = normalise(text)
    assert normalise(once) == once


# -- scripts written without spaces: never a paragraph of one to three words -----------

_THAI = "นายสมชายเดินทางไปเชียงใหม่เมื่อวันจันทร์เพื่อพบกับครอบครัวของเขา"
_BURMESE = "နိုင်ငံတော်အကြည်ညိုပျက်စေမှုပုဒ်မနဲ့တရားစွဲခံထားရတဲ့"
_CHINESE = "香港行政长官在各方压力下到立法会接受质询并向香港民众道歉"


@pytest.mark.parametrize("text", [_THAI, _BURMESE])
def test_southeast_asian_scripts_are_cut_into_grapheme_clusters(text: str) -> None:
    tokens = tokenize(text)
    assert len(tokens) > 20
    assert "".join(_spans(text)) == text  # every character belongs to one token
    # A cluster is a letter with the signs that follow it: no token starts with a mark.
    assert all(not unicodedata.category(span[0]).startswith("M") for span in _spans(text))
    assert word_keys(text) == tokens.keys


def test_a_thai_name_changed_changes_only_its_own_clusters() -> None:
    edited = _THAI.replace("สมชาย", "สมศักดิ์")
    old, new = word_keys(_THAI), word_keys(edited)
    common = sum(1 for a, b in zip(old, new, strict=False) if a == b)
    assert common >= 3  # the words before the name are untouched
    assert len(set(new) - set(old)) <= 4


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        (_CHINESE, 12, 16),  # 28 characters: about two a word
        (_THAI, 15, 30),
        ("ต่างประเทศ", 2, 4),  # a section label, "abroad"
        ("Plain English has five words.", 5, 5),
        ("Tokyo\u6771\u4eac2020 and more", 4, 5),
    ],
)
def test_word_count_counts_words_in_any_script(text: str, low: int, high: int) -> None:
    assert low <= word_count(text) <= high


def test_character_share_tells_character_tokens_from_words() -> None:
    assert character_share(word_keys(_CHINESE)) == 1.0
    assert character_share(word_keys(_THAI)) == 1.0
    assert character_share(word_keys("Words of English")) == 0.0
    assert character_share(()) == 0.0


# -- character references written out in text ----------------------------------------


@pytest.mark.parametrize(
    "written",
    [
        "a 400&percnt; rise &NewLine;in caf&eacute;s",  # HTML5 names (beyond HTML 4)
        "a 400&#37; rise in caf&#xe9;s",  # numeric, decimal and hexadecimal
        "a 400&amp;percnt; rise in caf&amp;eacute;s",  # escaped twice by a CMS
    ],
)
def test_written_out_references_stand_for_their_characters(written: str) -> None:
    plain = "a 400% rise in caf\u00e9s"
    assert word_keys(written) == word_keys(plain) == ("a", "400", "rise", "in", "caf\u00e9s")
    assert tokenize(written).keys == word_keys(plain)
    assert normalise(written) == normalise(plain)


def test_spans_of_references_cover_the_whole_reference() -> None:
    text = "caf&eacute; 400&percnt; &amp; more"
    assert _spans(text) == ["caf&eacute;", "400", "more"]


def test_unescape_references_leaves_lone_ampersands_and_unknown_names() -> None:
    assert unescape_references("AT&T & R&D &notaname; &#0;") == "AT&T & R&D &notaname; &#0;"
    assert unescape_references("&lt;b&gt; &amp;amp;") == "<b> &"


@settings(max_examples=300, deadline=None, database=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "&amp;",
                "&percnt;",
                "&eacute;",
                "&#x41;",
                "&#38;",
                "&",
                ";",
                "caf",
                "400",
                " ",
                "\u0e20\u0e32",
                "\u4e2d",
                "amp",
                "#",
                "\u00ad",
            ]
        ),
        max_size=12,
    ).map("".join)
)
def test_spans_of_text_with_references_hold_their_keys(text: str) -> None:
    _assert_spans_hold_their_keys(text)
