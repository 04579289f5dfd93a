"""Properties of the comparison on random articles (hypothesis).

Random articles are built from a fixed vocabulary of real English words, numbers and
capitalised names, so paragraphs are distinct. The cosmetic transforms below have
their own character tables and never call the normaliser: they state, independently
of it, what "typography only" means (DESIGN.md: "Substantive").
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Callable, Sequence
from typing import TypeVar

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from snapverify.compare import Comparison, compare_documents
from snapverify.models import (
    Block,
    Document,
    Extraction,
    Finding,
    FindingKind,
    Source,
    SourceKind,
)
from snapverify.text.extract import extract
from snapverify.text.normalise import word_keys

# Derandomized (the same examples on every run) so the suite is stable; set
# SNAPVERIFY_PROPERTY_EXAMPLES=2000 to explore with fresh random examples instead.
_EXPLORE = os.environ.get("SNAPVERIFY_PROPERTY_EXAMPLES")
PROPERTY_SETTINGS = settings(
    max_examples=int(_EXPLORE) if _EXPLORE else 60,
    derandomize=not _EXPLORE,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
T = TypeVar("T")
URL = "https://news.example.org/2024/03/05/the-article"

# -- vocabulary -------------------------------------------------------------------------

WORDS = tuple(
    """
    about above accept account across action active actual address admit adult affect
    agency agent agree ahead allow almost alone along already although always amount
    analysis animal annual answer anyone appear apply approach area argue arrive artist
    assume attack attend author available avoid award aware balance bank barrier battle
    beautiful become before begin behaviour believe benefit better beyond billion board
    border bottom branch bread brief bring brother budget building business camera campaign
    capital career carry castle catch cause ceiling central century chair challenge chance
    change chapter charge cheap choice church citizen claim class clear climate close coast
    collect college colour column comfort common company compare concern condition conflict
    congress consider contain continue control corner cotton council country county couple
    course court cover create credit crime crisis culture current customer damage danger
    daughter debate decade decide defence degree deliver demand deny deputy describe design
    detail develop device differ dinner direction discover disease distance doctor document
    dollar double dream drive during early economy editor effort either election element
    embassy emerge employee energy engine enjoy enough entire escape evening evidence exactly
    example expect expert explain factory failure family farmer father feature federal
    figure finance finger flight floor flower follow foreign forest former fortune forward
    freedom friend frozen funding future garden gather general ground growth guard guess
    habit harbour health heavy height history holiday hospital hotel however human hundred
    husband ignore image impact improve include income increase indeed industry inside
    instead interest island issue journey judge justice kitchen labour language large later
    launch lawyer leader learn letter level library light limit listen little local machine
    manager market matter meeting member memory message method middle military million
    minister minute mission modern moment money morning mother motion mountain movement
    murder museum nation nature nearly network never night normal north notice number
    office officer often opinion option order outside owner painting paper parent partner
    pattern peace people period person picture planet plant player police policy position
    pressure prison private problem process produce program project protest public purpose
    quality quarter question quickly radio rather reason record reform region release remain
    report result return review river safety salary sample school science season second
    secret senate series service settle shadow shoulder silver simple sister society soldier
    source speech spring square station statement street strike student subject success
    summer support surface system teacher theory thousand ticket tonight total tower trade
    travel treaty trial trouble union valley vessel victim village violence visitor voice
    volume wall warning water weather weekend window winter witness woman wonder worker
    writer yellow yesterday young
    don't it's they're won't
    """.split()  # noqa: SIM905
)
NAMES = """
    Alice Almaty Bakhyt Brussels Chen Dmitri Edilov Fatima Geneva Helsinki Ibrahim Jones
    Kazakhstan Lagos Madrid Nazarbayev Oslo Pedro Quentin Rosa Santiago Tbilisi Ursula
    Valencia Warsaw Xavier Yerlan Zanzibar
""".split()  # noqa: SIM905
NUMBERS = "1,000 12 3.5 2012 47 250,000 7.25 16 1,500,000 99 8 64".split()  # noqa: SIM905
VOCABULARY = WORDS + tuple(NAMES) + tuple(NUMBERS)
# Words never drawn for an article: new passages and replacement words come from here.
FRESH = tuple(
    """
    aardvark abacus accordion acrobat albatross alchemy almanac amethyst anchovy antelope
    apricot archipelago armadillo asteroid avalanche avocado badger bagpipe balloon bamboo
    banjo barnacle basilisk beetroot biscuit blizzard blueberry bobsled bonfire boomerang
    buffalo butterscotch cactus calligraphy camel canary cardamom caribou carnival cauldron
    chameleon cinnamon clarinet cobweb coconut comet coriander cormorant crocodile cucumber
    daffodil dandelion dinosaur dolphin dragonfly dumpling eclipse eggplant elephant emerald
    falcon flamingo gazelle geyser giraffe glacier gondola gooseberry gorilla granola
    hammock harmonica hedgehog hippo honeycomb hurricane iceberg iguana jaguar jellyfish
    kangaroo kayak kiwi koala lagoon lantern lemonade leopard licorice lobster macaroni
    magnolia mandolin mango marmalade meteor mongoose mosaic nectarine nightingale nutmeg
    octopus orchid ostrich otter paprika parsley peacock pelican penguin pepperoni pistachio
    platypus porcupine pumpkin quartz quince raccoon raspberry reindeer rhubarb saffron
    salamander sardine scorpion seahorse squirrel strawberry tangerine tornado toucan
    trombone tulip turquoise ukulele umbrella vanilla volcano walrus watermelon whirlpool
    xylophone yak zebra zeppelin zucchini
    """.split()  # noqa: SIM905
)


def _plain_keys(words: Sequence[str]) -> set[str]:
    """Lower-cased word pieces, split at apostrophes, without the normaliser."""
    return {piece for word in words for piece in re.split(r"'", word.lower()) if piece}


assert not _plain_keys(VOCABULARY) & _plain_keys(FRESH), "FRESH must be new words"
assert len(set(VOCABULARY)) == len(VOCABULARY)

# -- random articles --------------------------------------------------------------------

# What follows a word: mostly a space, sometimes punctuation (a spaced hyphen-minus
# for a dash, three dots for an ellipsis).
_AFTER = ("",) * 10 + (",", ",", ".", ".", " -", "...", ";", ":")


@st.composite
def paragraphs(draw: st.DrawFn) -> str:
    """One paragraph: 5-40 different words with punctuation, maybe a quotation."""
    words = draw(st.lists(st.sampled_from(VOCABULARY), min_size=5, max_size=40, unique=True))
    marks = [draw(st.sampled_from(_AFTER)) for _ in words[:-1]]
    marks.append(draw(st.sampled_from((".", ".", ".", "!", "?", "..."))))
    pieces = [word + mark for word, mark in zip(words, marks, strict=True)]
    pieces[0] = pieces[0][:1].upper() + pieces[0][1:]
    if draw(st.booleans()):
        start = draw(st.integers(0, len(pieces) - 1))
        end = draw(st.integers(start, min(start + 4, len(pieces) - 1)))
        quote = draw(st.sampled_from(['"', "'"]))
        pieces[start] = quote + pieces[start]
        pieces[end] = pieces[end] + quote
    return " ".join(pieces)


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def _distinct(paras: Sequence[str]) -> bool:
    """No two paragraphs share more than a third of the shorter one's words."""
    sets = [set(_words(text)) for text in paras]
    return all(
        len(a & b) * 3 <= min(len(a), len(b)) for n, a in enumerate(sets) for b in sets[n + 1 :]
    )


articles = st.lists(paragraphs(), min_size=3, max_size=12).filter(_distinct)


@st.composite
def fresh_paragraphs(draw: st.DrawFn) -> str:
    words = draw(st.lists(st.sampled_from(FRESH), min_size=5, max_size=40))
    text = " ".join(words)
    return text[:1].upper() + text[1:] + "."


def document(paras: Sequence[str]) -> Document:
    return Document(blocks=tuple(Block(text) for text in paras))


SOURCE = Source(id="file:source.html", kind=SourceKind.FILE, url=URL)


def compare(local: Sequence[str], remote: Document) -> Comparison:
    return compare_documents(document(local), [(SOURCE, remote)])


def substantive(result: Comparison) -> list[Finding]:
    return [finding for finding in result.findings if finding.substantive]


# -- the same article in a web page -----------------------------------------------------

_NAV = "".join(
    f'<li><a href="/{slug.lower()}">{slug}</a></li>'
    for slug in ("Home", "Politics", "Weather", "Sport", "Opinion", "Newsletters")
)
_RELATED = "".join(
    f'<li><a href="/2024/03/{n:02d}/story-{n}">{headline}</a></li>'
    for n, headline in enumerate(
        (
            "Quarterly harvest festival draws record crowds to the riverside promenade",
            "Regional orchestra announces its programme for the coming concert season",
            "Municipal swimming pools will reopen after lengthy renovation works finish",
        ),
        start=1,
    )
)


def render_page(paras: Sequence[str], *, entities: bool = False) -> str:
    """An article page with a masthead, nav, related stories, a sidebar and a footer."""

    def text(value: str) -> str:
        escaped = html.escape(value, quote=False)
        if entities:  # as CMSs write them
            escaped = escaped.replace("\u00ad", "&shy;").replace("\u00a0", "&nbsp;")
        return escaped

    body = "\n".join(f'<p class="article__block">{text(p)}</p>' for p in paras)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Harbour council approves budget | The Example Gazette</title>
<meta property="og:title" content="Harbour council approves budget">
<script>var tracking = {{"page": "article"}};</script>
<style>.sidebar {{ float: right; }}</style>
</head><body>
<header class="masthead"><a href="/">The Example Gazette</a>
<p>Independent journalism from the northern coast since 1887, every single morning.</p>
</header>
<nav class="main-nav"><ul>{_NAV}</ul></nav>
<div class="page">
<main id="main">
<article class="story">
<h1>Harbour council approves budget</h1>
<div class="byline">By Morgan Example, Staff Reporter</div>
<div class="article__content">
{body}
</div>
<div class="share-tools"><a href="/share/fb">Share on Facebook</a>
<a href="/share/x">Share on X</a> <a href="/share/mail">Email this story</a></div>
<section class="related-stories"><h2>Related stories</h2><ul>{_RELATED}</ul></section>
</article>
</main>
<aside class="sidebar"><h2>Most read</h2>
<p>Subscribers enjoy unlimited access to our archive, crosswords, puzzles and recipes.</p>
<ol><li><a href="/a">Lighthouse keeper retires after forty winters on the rocks</a></li>
<li><a href="/b">Ferry timetable changes announced for the spring crossings</a></li></ol>
</aside>
</div>
<footer><p>Copyright 2024 The Example Gazette Ltd. All rights reserved. Registered in
Northshire, company number 0042. Terms of use, privacy notice and cookie settings.</p>
<p><a href="/contact">Contact us</a> | <a href="/jobs">Work with us</a></p></footer>
</body></html>"""


def extract_page(paras: Sequence[str], local: Sequence[str], **kwargs: bool) -> Document:
    return extract(render_page(paras, **kwargs), url=URL, reference=document(local))


# -- cosmetic transforms, with their own tables (never the normaliser) ------------------

DOUBLE_QUOTES = (
    ("\u201c", "\u201d"),  # English
    ("\u201e", "\u201c"),  # German
    ("\u00ab", "\u00bb"),  # French
    ("\u00bb", "\u00ab"),  # Danish
    ("\u201d", "\u201d"),  # Swedish
)
SINGLE_QUOTES = (("\u2018", "\u2019"), ("\u201a", "\u2018"), ("\u2019", "\u2019"))
APOSTROPHE = "\u2019"
DASHES = (" \u2013 ", " \u2014 ", "\u2014", " \u2015 ", " -- ", "\u2013", "\u00a0\u2014 ")
ELLIPSES = ("\u2026", ". . .")
SPACES = ("\u00a0", "\u2009", "\u202f")
BREAKS = ("  ", "\n", " \n ", "\t")
INVISIBLE = ("\u00ad", "\u200b")
FULL_WIDTH_OFFSET = 0xFEE0  # "A" (U+0041) + offset = full-width "A" (U+FF21)


class Chooser:
    """Where a transform applies and which variant it uses, drawn by hypothesis."""

    def __init__(self, draw: st.DrawFn) -> None:
        self._draw = draw

    def pick(self, options: Sequence[T]) -> T:
        return self._draw(st.sampled_from(options))

    def coin(self, one_in: int) -> bool:
        return self._draw(st.integers(0, one_in - 1)) == 0

    def index(self, size: int) -> int:
        return self._draw(st.integers(0, size - 1))


class Always(Chooser):
    """Applies everywhere with the last variant: checks that each transform does something."""

    def __init__(self) -> None:
        pass

    def pick(self, options: Sequence[T]) -> T:
        return options[-1]

    def coin(self, one_in: int) -> bool:
        return True

    def index(self, size: int) -> int:
        return 0


Transform = Callable[[list[str], Chooser], list[str]]


def _each(func: Callable[[str, Chooser], str]) -> Transform:
    def apply(paras: list[str], choose: Chooser) -> list[str]:
        return [func(text, choose) for text in paras]

    apply.__name__ = func.__name__
    return apply


def _replace_some(text: str, pattern: str, choose: Chooser, options: Sequence[str]) -> str:
    """Replace some matches of ``pattern`` by one of ``options`` each."""
    out = []
    last = 0
    for match in re.finditer(pattern, text):
        if choose.coin(2):
            out.append(text[last : match.start()] + choose.pick(options))
            last = match.end()
    out.append(text[last:])
    return "".join(out)


@_each
def curly_quotes(text: str, choose: Chooser) -> str:
    opening, closing = choose.pick(DOUBLE_QUOTES)
    single_open, single_close = choose.pick(SINGLE_QUOTES)
    out = []
    double_open = True
    for n, char in enumerate(text):
        if char == '"':
            out.append(opening if double_open else closing)
            double_open = not double_open
        elif char == "'":
            before = text[n - 1] if n else " "
            after = text[n + 1] if n + 1 < len(text) else " "
            if before.isalnum() and after.isalnum():
                out.append(APOSTROPHE)
            elif before.isalnum() or before in ".,;:!?":
                out.append(single_close)
            else:
                out.append(single_open)
        else:
            out.append(char)
    return "".join(out)


@_each
def dashes(text: str, choose: Chooser) -> str:
    return _replace_some(text, r" - ", choose, DASHES)


@_each
def ellipses(text: str, choose: Chooser) -> str:
    return _replace_some(text, r"\.\.\.", choose, ELLIPSES)


@_each
def odd_spaces(text: str, choose: Chooser) -> str:
    return _replace_some(text, r" ", choose, SPACES)


@_each
def broken_spacing(text: str, choose: Chooser) -> str:
    return _replace_some(text, r" ", choose, BREAKS)


def _inside_words(text: str, choose: Chooser, mark: str) -> str:
    out = []
    for n, char in enumerate(text):
        if n and text[n - 1].isalpha() and char.isalpha() and choose.coin(4):
            out.append(mark)
        out.append(char)
    return "".join(out)


@_each
def soft_hyphens(text: str, choose: Chooser) -> str:
    return _inside_words(text, choose, "\u00ad")


@_each
def zero_width_spaces(text: str, choose: Chooser) -> str:
    return _inside_words(text, choose, "\u200b")


@_each
def full_width(text: str, choose: Chooser) -> str:
    out = []
    for char in text:
        if char.isascii() and char.isalnum() and choose.coin(3):
            out.append(chr(ord(char) + FULL_WIDTH_OFFSET))
        else:
            out.append(char)
    return "".join(out)


def split_paragraph(paras: list[str], choose: Chooser) -> list[str]:
    n = choose.index(len(paras))
    gaps = [m.span() for m in re.finditer(r"\s+", paras[n])]  # spaces may be odd by now
    start, end = choose.pick(gaps)
    return [*paras[:n], paras[n][:start], paras[n][end:], *paras[n + 1 :]]


def merge_paragraphs(paras: list[str], choose: Chooser) -> list[str]:
    if len(paras) < 2:
        return paras
    n = choose.index(len(paras) - 1)
    return [*paras[:n], f"{paras[n]} {paras[n + 1]}", *paras[n + 2 :]]


# Character transforms first (they look for letters, straight quotes, " - ", "..." and
# spaces), then spacing, then paragraph structure.
ALL_TRANSFORMS: tuple[Transform, ...] = (
    soft_hyphens,
    zero_width_spaces,
    full_width,
    curly_quotes,
    dashes,
    ellipses,
    odd_spaces,
    broken_spacing,
    split_paragraph,
    merge_paragraphs,
)


@st.composite
def cosmetic_copies(draw: st.DrawFn) -> tuple[list[str], list[str], list[str]]:
    """An article, its typographic variant, and the names of the transforms applied."""
    paras = draw(articles)
    chosen = draw(st.sets(st.sampled_from(ALL_TRANSFORMS), min_size=1))
    remote = list(paras)
    choose = Chooser(draw)
    for transform in ALL_TRANSFORMS:  # fixed order, see above
        if transform in chosen:
            remote = transform(remote, choose)
    return paras, remote, [t.__name__ for t in ALL_TRANSFORMS if t in chosen]


@pytest.mark.parametrize("transform", ALL_TRANSFORMS, ids=lambda t: t.__name__)
def test_each_cosmetic_transform_changes_the_text(transform: Transform) -> None:
    """Guard: a transform that silently did nothing would make its property vacuous."""
    paras = ['Alice said "it\'s 1,000 - or more..." in Oslo.', "Then she left for Geneva."]
    changed = transform(list(paras), Always())
    assert changed != paras
    # ... and it stays typography: the same letters and digits once the tables are undone.
    undone = " ".join(changed)
    for table in (DOUBLE_QUOTES, SINGLE_QUOTES):
        for pair in table:
            for char in pair:
                undone = undone.replace(char, "'")
    for mark in (*INVISIBLE, "\u2013", "\u2014", "\u2015", "\u2026"):
        undone = undone.replace(mark, "")
    undone = "".join(
        chr(ord(c) - FULL_WIDTH_OFFSET) if 0xFF01 <= ord(c) <= 0xFF5E else c for c in undone
    )
    assert re.findall(r"[A-Za-z0-9]+", undone) == re.findall(r"[A-Za-z0-9]+", " ".join(paras))


# -- edits with a known answer ---------------------------------------------------------


@st.composite
def deletions(draw: st.DrawFn) -> tuple[list[str], int]:
    """An article and the index of the paragraph the source lost."""
    paras = draw(articles)
    return paras, draw(st.integers(0, len(paras) - 1))


@st.composite
def insertions(draw: st.DrawFn) -> tuple[list[str], str, int]:
    """An article, a paragraph of new words, and where the source has it."""
    paras = draw(articles)
    return paras, draw(fresh_paragraphs()), draw(st.integers(0, len(paras)))


@st.composite
def word_edits(draw: st.DrawFn) -> tuple[list[str], int, str, str]:
    """An article, a paragraph index, one of its words, and the source's new word."""
    paras = draw(articles)
    n = draw(st.integers(0, len(paras) - 1))
    old = draw(st.sampled_from(_WORD.findall(paras[n])))
    return paras, n, old, draw(st.sampled_from(FRESH))


@st.composite
def moves(draw: st.DrawFn) -> tuple[list[str], int, int]:
    """An article and a paragraph that moved two places or more (from, to)."""
    paras = draw(articles)
    pairs = [(a, b) for a in range(len(paras)) for b in range(len(paras)) if abs(a - b) >= 2]
    start, end = draw(st.sampled_from(pairs))
    return paras, start, end


_WORD = re.compile(r"[A-Za-z0-9]+(?:[',.][A-Za-z0-9]+)*")


def _edited(paras: list[str], n: int, old: str, new: str) -> list[str]:
    """``paras`` with the first ``old`` of paragraph ``n`` (as a whole word) replaced."""
    match = next(m for m in _WORD.finditer(paras[n]) if m.group() == old)
    text = paras[n][: match.start()] + new + paras[n][match.end() :]
    return [*paras[:n], text, *paras[n + 1 :]]


def _moved(paras: list[str], start: int, end: int) -> list[str]:
    remote = list(paras)
    remote.insert(end, remote.pop(start))
    return remote


def _check_missing(result: Comparison, n: int) -> None:
    found = substantive(result)
    assert [(f.kind, f.local_block) for f in found] == [(FindingKind.MISSING, n)]


def _check_added(result: Comparison, n: int) -> None:
    found = substantive(result)
    assert [(f.kind, f.insert_after) for f in found] == [(FindingKind.ADDED, n - 1)]


def _check_edited(result: Comparison, n: int, old: str, new: str) -> None:
    found = substantive(result)
    assert [(f.kind, f.local_block) for f in found] == [(FindingKind.EDITED, n)]
    deleted = [word_keys(text) for op, text in found[0].diff if op == "delete"]
    inserted = [word_keys(text) for op, text in found[0].diff if op == "insert"]
    assert deleted == [word_keys(old)]
    assert inserted == [word_keys(new)]


def _check_moved(result: Comparison, start: int) -> None:
    assert substantive(result) == []
    assert [(f.kind, f.local_block, f.substantive) for f in result.findings] == [
        (FindingKind.MOVED, start, False)
    ]


# -- known hard cases, run first on every property that they fit ----------------------

# Short paragraphs: fewer than the extractor's shingle and prose thresholds.
P5 = [
    "Alice above accept account across.",
    "Bakhyt address admit adult affect.",
    "Chen ahead allow almost alone.",
]
P6 = [
    "Alice above accept account across action.",
    "Bakhyt address admit adult affect agency.",
    "Chen ahead allow almost alone along.",
]
NEW5 = "Aardvark abacus accordion acrobat albatross."
SPLIT_3_3 = (P6, [P6[0], "Bakhyt address admit", "adult affect agency.", P6[2]], ["split"])
SPLIT_2_4_LAST = (P6, [*P6[:2], "Chen ahead", "allow almost alone along."], ["split"])
INSERT5_FIRST = (P5, NEW5, 0)
INSERT5_LAST = (P5, NEW5, 3)
EDIT5_MIDDLE = (P5, 1, "admit", "aardvark")
EDIT5_FIRST = (P5, 0, "Alice", "aardvark")


# -- properties: Document level ---------------------------------------------------------


@PROPERTY_SETTINGS
@given(articles)
def test_a_document_compared_with_itself_has_no_finding(paras: list[str]) -> None:
    result = compare(paras, document(paras))
    assert result.findings == ()
    assert str(result.verdict) == "unchanged"
    assert result.exit_code == 0
    assert result.sources[0].similarity == 1.0
    assert result.provenance is not None
    assert result.provenance.similarity == 1.0


@example(SPLIT_3_3)
@example(SPLIT_2_4_LAST)
@PROPERTY_SETTINGS
@given(cosmetic_copies())
def test_a_cosmetic_copy_has_no_substantive_finding(
    case: tuple[list[str], list[str], list[str]],
) -> None:
    paras, remote, _ = case
    result = compare(paras, document(remote))
    assert substantive(result) == []
    assert str(result.verdict) == "unchanged"
    assert result.sources[0].similarity == 1.0


@PROPERTY_SETTINGS
@given(deletions())
def test_a_deleted_paragraph_is_one_missing_finding(case: tuple[list[str], int]) -> None:
    paras, n = case
    _check_missing(compare(paras, document(paras[:n] + paras[n + 1 :])), n)


@example(INSERT5_FIRST)
@example(INSERT5_LAST)
@PROPERTY_SETTINGS
@given(insertions())
def test_an_inserted_paragraph_is_one_added_finding(case: tuple[list[str], str, int]) -> None:
    paras, new, n = case
    _check_added(compare(paras, document([*paras[:n], new, *paras[n:]])), n)


@example(EDIT5_MIDDLE)
@example(EDIT5_FIRST)
@PROPERTY_SETTINGS
@given(word_edits())
def test_a_replaced_word_is_one_edited_finding(case: tuple[list[str], int, str, str]) -> None:
    paras, n, old, new = case
    _check_edited(compare(paras, document(_edited(paras, n, old, new))), n, old, new)


@PROPERTY_SETTINGS
@given(moves())
def test_a_paragraph_moved_two_places_or_more_is_one_moved_finding(
    case: tuple[list[str], int, int],
) -> None:
    paras, start, end = case
    _check_moved(compare(paras, document(_moved(paras, start, end))), start)


# -- properties: through a web page with boilerplate ------------------------------------


@PROPERTY_SETTINGS
@given(articles, st.booleans())
def test_the_page_of_a_document_extracts_to_no_finding(paras: list[str], entities: bool) -> None:
    remote = extract_page(paras, paras, entities=entities)
    assert remote.extraction is Extraction.GUIDED
    result = compare(paras, remote)
    assert result.findings == ()
    assert str(result.verdict) == "unchanged"


@example(SPLIT_3_3, False)
@example(SPLIT_2_4_LAST, True)
@PROPERTY_SETTINGS
@given(cosmetic_copies(), st.booleans())
def test_the_page_of_a_cosmetic_copy_has_no_substantive_finding(
    case: tuple[list[str], list[str], list[str]], entities: bool
) -> None:
    paras, remote_paras, _ = case
    remote = extract_page(remote_paras, paras, entities=entities)
    assert remote.extraction is Extraction.GUIDED
    assert substantive(compare(paras, remote)) == []


@PROPERTY_SETTINGS
@given(deletions())
def test_a_paragraph_deleted_from_the_page_is_one_missing_finding(
    case: tuple[list[str], int],
) -> None:
    paras, n = case
    _check_missing(compare(paras, extract_page(paras[:n] + paras[n + 1 :], paras)), n)


@example(INSERT5_FIRST)
@example(INSERT5_LAST)
@PROPERTY_SETTINGS
@given(insertions())
def test_a_paragraph_inserted_into_the_page_is_one_added_finding(
    case: tuple[list[str], str, int],
) -> None:
    paras, new, n = case
    _check_added(compare(paras, extract_page([*paras[:n], new, *paras[n:]], paras)), n)


@example(EDIT5_MIDDLE)
@example(EDIT5_FIRST)
@PROPERTY_SETTINGS
@given(word_edits())
def test_a_word_replaced_in_the_page_is_one_edited_finding(
    case: tuple[list[str], int, str, str],
) -> None:
    paras, n, old, new = case
    remote = extract_page(_edited(paras, n, old, new), paras)
    _check_edited(compare(paras, remote), n, old, new)


@PROPERTY_SETTINGS
@given(moves())
def test_a_paragraph_moved_in_the_page_is_one_moved_finding(
    case: tuple[list[str], int, int],
) -> None:
    paras, start, end = case
    _check_moved(compare(paras, extract_page(_moved(paras, start, end), paras)), start)


@pytest.mark.parametrize("entities", [False, True])
def test_the_page_boilerplate_never_reaches_the_document(entities: bool) -> None:
    paras = [
        "Alice said the council would review the budget before the election.",
        "The minister, Edilov, denied any agreement with the company in 2012.",
        "Witness statements describe 1,000 people gathered near the harbour.",
    ]
    remote = extract_page(paras, paras, entities=entities)
    text = remote.text
    for phrase in (
        "Politics",
        "Related stories",
        "Quarterly harvest festival",
        "Share on",
        "Most read",
        "Subscribers enjoy",
        "Copyright",
        "Independent journalism",
        "Harbour council approves budget",
        "Morgan Example",
    ):
        assert phrase not in text
    assert [block.text for block in remote.blocks] == paras
