"""Reading Markdown and plain-text local copies."""

from __future__ import annotations

import time

import pytest

from snapverify.models import BlockKind, Extraction, Link
from snapverify.text.markdown import parse_date_line, read_markdown
from support import SEED, SEED_URL


def test_seed_parses_to_its_pinned_document() -> None:
    document = read_markdown(SEED.read_text(encoding="utf-8"))

    assert document.title == "Kazakh Massacre Cover-Up"
    assert document.byline == "Robert Jones"
    assert document.published == "2012-05-27"
    assert document.modified is None
    assert document.publication == "The Moscow Times"
    assert document.url == SEED_URL
    assert document.extraction is Extraction.MARKDOWN
    assert len(document.blocks) == 13
    assert all(block.kind is BlockKind.PARAGRAPH for block in document.blocks)
    assert document.blocks[0].text.startswith("Six people were convicted last week")
    assert document.blocks[3].text.startswith("The authority's response was decided")
    assert "much higher \u2014 about 70" in document.blocks[3].text
    assert document.blocks[11].text == (
        "Robert Jones is the coordinator in Russia for CampaignKazakhstan.org."
    )
    assert document.blocks[12].text == (
        "The views expressed in opinion pieces do not necessarily reflect the position of "
        "The Moscow Times."
    )
    assert document.links == (
        Link("Robert Jones", None, None),
        Link("Video footage", None, 3),
    )
    assert all(link.lost for link in document.links)
    # No header or footer line leaked into the body.
    assert not any("Original url" in block.text for block in document.blocks)
    assert not any(block.text in ("May 27, 2012", "The Moscow Times") for block in document.blocks)


def test_seed_url_argument_overrides_the_footer() -> None:
    document = read_markdown(SEED.read_text(encoding="utf-8"), url="https://example.org/a")
    assert document.url == "https://example.org/a"
    assert len(document.blocks) == 13


def test_markup_never_counts_as_text() -> None:
    document = read_markdown(
        "Title Line\n\n"
        "The  **Moscow Times** and _emphasis_ with [a link](https://example.org/x),\n"
        "a soft break, a <br> tag, `inline  code`, an ![image alt](pic.png) and a\\*star.\n"
    )
    assert [block.text for block in document.blocks] == [
        "The Moscow Times and emphasis with a link, a soft break, a tag, inline code, "
        "an and a*star."
    ]
    assert document.links == (Link("a link", "https://example.org/x", 0),)


def test_br_and_hard_breaks_become_one_space() -> None:
    document = read_markdown("Short Head\n\none<br/>two  \nthree\\\nfour\n")
    assert document.blocks[0].text == "one two three four"


def test_entities_are_text() -> None:
    document = read_markdown("Head Line\n\nAT&amp;T &copy; 2012 &#8212; done.\n")
    assert document.blocks[0].text == "AT&T \u00a9 2012 \u2014 done."


@pytest.mark.parametrize("target", ["#", "", " ", "%20", "<>"])
def test_lost_targets_are_none(target: str) -> None:
    document = read_markdown(f"Head Line\n\nSee [the video]({target}) now.\n")
    assert document.links == (Link("the video", None, 0),)


def test_relative_targets_resolve_against_the_url() -> None:
    document = read_markdown(
        "Head Line\n\nSee [x](/2012/05/other-a1) and [y](https://other.example/).\n",
        url="https://www.example.com/2012/05/27/a",
    )
    assert [link.url for link in document.links] == [
        "https://www.example.com/2012/05/other-a1",
        "https://other.example/",
    ]


def test_relative_target_kept_without_url() -> None:
    document = read_markdown("Head Line\n\nSee [x](/2012/05/other-a1).\n")
    assert document.links == (Link("x", "/2012/05/other-a1", 0),)


def test_front_matter_wins_and_is_not_text() -> None:
    text = (
        "---\n"
        "title: Front Title\n"
        "authors:\n  - Ann One\n  - name: Bob Two\n"
        "date: 2012-05-27T19:51:00+04:00\n"
        "modified: 2012-05-28\n"
        "original_url: https://example.com/front\n"
        "site: Example Times\n"
        "---\n"
        "# Heading Title\n\n"
        "By Someone Else\n\n"
        "The body starts here and it is prose.\n\n"
        "Original url: <https://example.com/footer>\n"
    )
    document = read_markdown(text)
    assert document.title == "Front Title"
    assert document.byline == "Ann One, Bob Two"
    assert document.published == "2012-05-27T19:51:00+04:00"
    assert document.modified == "2012-05-28"
    assert document.publication == "Example Times"
    assert document.url == "https://example.com/front"
    assert document.title_variants == ("Heading Title",)
    assert [block.text for block in document.blocks] == ["The body starts here and it is prose."]
    assert document.notes == ()


def test_front_matter_url_loses_to_the_argument() -> None:
    document = read_markdown("---\nurl: https://a.example/\n---\nText.\n", url="https://b.example/")
    assert document.url == "https://b.example/"


def test_invalid_front_matter_is_ignored_with_a_note() -> None:
    document = read_markdown("---\ntitle: [unclosed\n---\nHead Line\n\nBody text.\n")
    assert document.title == "Head Line"
    assert document.notes == ("front matter ignored: not valid YAML",)
    assert [block.text for block in document.blocks] == ["Body text."]


def test_deeply_nested_front_matter_is_ignored() -> None:
    document = read_markdown("---\ntitle: " + "[" * 20_000 + "\n---\nHead Line\n\nBody.\n")
    assert document.notes == ("front matter ignored: not valid YAML",)
    assert document.title == "Head Line"


def test_front_matter_aliases_do_not_expand() -> None:
    text = "---\na: &a [x, x]\nb: &b [*a, *a, *a]\nauthors: [*b, *b, Ann One]\n---\nBody.\n"
    assert read_markdown(text).byline == "Ann One"


def test_thematic_break_is_not_front_matter() -> None:
    document = read_markdown("---\n\nFirst paragraph of the body.\n\nSecond one.\n")
    assert [block.text for block in document.blocks] == [
        "First paragraph of the body.",
        "Second one.",
    ]
    assert document.title is None


@pytest.mark.parametrize(
    "footer",
    [
        "Original url: <https://example.com/a>",
        "ORIGINAL URL: https://example.com/a",
        "Source: [https://example.com/a](https://example.com/a)",
        "source:   <https://example.com/a>",
        "Original link: https://example.com/a.",
    ],
)
def test_footer_gives_the_url_and_is_not_body(footer: str) -> None:
    document = read_markdown(f"Head Line\n\nBody text.\n\n{footer}\n")
    assert document.url == "https://example.com/a"
    assert [block.text for block in document.blocks] == ["Body text."]
    assert document.links == ()  # the footer's autolink is not a link of the body


def test_footer_must_be_last_and_a_web_url() -> None:
    document = read_markdown(
        "Head Line\n\nSource: https://example.com/a\n\nBody text.\n\nSource: The Agency\n"
    )
    assert document.url is None
    assert [block.text for block in document.blocks] == [
        "Source: https://example.com/a",
        "Body text.",
        "Source: The Agency",
    ]


def test_blocks_without_text_are_dropped_with_their_links() -> None:
    document = read_markdown(
        "Head Line\n\n![a photo](p.jpg)\n\n[![](i.png)](https://x.example/)\n\nBody.\n"
    )
    assert [block.text for block in document.blocks] == ["Body."]
    assert document.links == ()


def test_lists_quotes_headings_and_code() -> None:
    text = (
        "# The Title\n\n"
        "Intro paragraph with enough words to be prose.\n\n"
        "## A Section\n\n"
        "- first item\n"
        "- second **item** with [x](#)\n\n"
        "  its second paragraph\n\n"
        "  - nested item\n\n"
        "1. numbered\n\n"
        "> quoted *words*\n> continue\n>\n> second quote paragraph\n\n"
        "```\ncode  kept\n  as is\n```\n\n"
        "    indented code\n"
    )
    document = read_markdown(text)
    assert document.title == "The Title"
    assert [(block.kind, block.text) for block in document.blocks] == [
        (BlockKind.PARAGRAPH, "Intro paragraph with enough words to be prose."),
        (BlockKind.HEADING, "A Section"),
        (BlockKind.LIST_ITEM, "first item"),
        (BlockKind.LIST_ITEM, "second item with x its second paragraph"),
        (BlockKind.LIST_ITEM, "nested item"),
        (BlockKind.LIST_ITEM, "numbered"),
        (BlockKind.QUOTE, "quoted words continue"),
        (BlockKind.QUOTE, "second quote paragraph"),
        (BlockKind.PREFORMATTED, "code  kept\n  as is"),
        (BlockKind.PREFORMATTED, "indented code"),
    ]
    assert document.links == (Link("x", None, 3),)


def test_html_block_keeps_only_its_text() -> None:
    document = read_markdown(
        "Head Line\n\n<div class='x'><p>Raw &amp; kept</p><!-- gone --><script>gone()</script>"
        "<style>.gone{}</style></div>\n\nAfter.\n"
    )
    assert [block.text for block in document.blocks] == ["Raw & kept", "After."]


def test_title_from_short_first_line_only_without_front_matter_title() -> None:
    assert read_markdown("Short Title\n\nBody text here.\n").title == "Short Title"
    with_title = read_markdown("---\ntitle: Given\n---\nShort Line\n\nBody text here.\n")
    assert with_title.title == "Given"
    assert [block.text for block in with_title.blocks] == ["Short Line", "Body text here."]


@pytest.mark.parametrize(
    "first",
    [
        "This first line ends like a sentence.",
        "Does it ask a question?",
        'He said "stop."',
        " ".join(["word"] * 21),
    ],
)
def test_prose_first_line_is_not_a_title(first: str) -> None:
    document = read_markdown(f"{first}\n\nSecond block.\n")
    assert document.title is None
    assert document.blocks[0].text == first


def test_a_single_line_is_body_not_title() -> None:
    document = read_markdown("Just one line\n")
    assert document.title is None
    assert [block.text for block in document.blocks] == ["Just one line"]


def test_leading_heading_is_the_title_even_if_long() -> None:
    long_heading = "# " + " ".join(["word"] * 25) + ".\n\nBody.\n"
    document = read_markdown(long_heading)
    assert document.title == " ".join(["word"] * 25) + "."
    assert [block.text for block in document.blocks] == ["Body."]


@pytest.mark.parametrize(
    ("line", "byline"),
    [
        ("By Robert Jones", "Robert Jones"),
        ("by [Robert Jones](https://example.com/authors/rj)", "Robert Jones"),
        ("By: Ann One and Bob Two", "Ann One and Bob Two"),
        ("Von Max Müller", "Max Müller"),
        ("Par Jeanne Dupont", "Jeanne Dupont"),
        ("Por María López", "María López"),
    ],
)
def test_byline_lines(line: str, byline: str) -> None:
    document = read_markdown(f"Head Line\n\n{line}\n\nThe body, which is prose.\n")
    assert document.byline == byline
    assert [block.text for block in document.blocks] == ["The body, which is prose."]


def test_byline_link_is_outside_the_body() -> None:
    document = read_markdown("Head Line\n\nBy [Ann One](/authors/ann)\n\nBody [x](/y).\n")
    assert document.links == (Link("Ann One", "/authors/ann", None), Link("x", "/y", 0))


def test_lowercase_after_by_is_not_a_byline() -> None:
    document = read_markdown("Head Line\n\nby the river\n\nBody.\n")
    assert document.byline is None
    assert [block.text for block in document.blocks] == ["by the river", "Body."]


def test_byline_and_date_on_one_line() -> None:
    document = read_markdown("Head Line\n\nBy Ann One | Sunday, May 27, 2012\n\nBody.\n")
    assert (document.byline, document.published) == ("Ann One", "2012-05-27")
    comma = read_markdown("Head Line\n\nBy Ann One, May 27, 2012\n\nBody.\n")
    assert (comma.byline, comma.published) == ("Ann One", "2012-05-27")


def test_header_stops_at_the_first_prose_block() -> None:
    document = read_markdown(
        "Head Line\n\nThe first paragraph is prose.\n\nBy Robert Jones\n\nMay 27, 2012\n"
    )
    assert document.byline is None
    assert document.published is None
    assert [block.text for block in document.blocks] == [
        "The first paragraph is prose.",
        "By Robert Jones",
        "May 27, 2012",
    ]


def test_header_only_in_the_first_six_blocks() -> None:
    fillers = "".join(f"Filler {n}\n\n" for n in range(6))
    document = read_markdown(f"Head Line\n\n{fillers}By Robert Jones\n\nBody.\n")
    assert document.byline is None


def test_publication_needs_a_header_line_before_it() -> None:
    document = read_markdown("Head Line\n\nnot a header line\n\nThe Moscow Times\n\nBody.\n")
    assert document.publication is None
    assert "The Moscow Times" in [block.text for block in document.blocks]
    with_date = read_markdown("Head Line\n\nMay 27, 2012\n\nThe Moscow Times\n\nBody.\n")
    assert with_date.publication == "The Moscow Times"


@pytest.mark.parametrize(
    "line", ["Opinion", "the moscow times", "One Two Three Four Five Six Seven"]
)
def test_not_a_publication(line: str) -> None:
    document = read_markdown(f"Head Line\n\nMay 27, 2012\n\n{line}\n\nBody.\n")
    assert document.publication is None
    assert document.blocks[0].text == line


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("May 27, 2012", "2012-05-27"),
        ("27 May 2012", "2012-05-27"),
        ("2012-05-27", "2012-05-27"),
        ("Sunday, May 27, 2012", "2012-05-27"),
        ("Sept. 3, 2012", "2012-09-03"),
        ("3rd September 2012", "2012-09-03"),
        ("27. Mai 2012", "2012-05-27"),
        ("27 de mayo de 2012", "2012-05-27"),
        ("27.05.2012", "2012-05-27"),
        ("May 27, 2012 7:51 pm", "2012-05-27T19:51:00"),
        ("May 27, 2012 12:05 a.m.", "2012-05-27T00:05:00"),
        ("Published: May 27, 2012, 19:51 GMT", "2012-05-27T19:51:00+00:00"),
        ("2012-05-27T19:51:00+04:00", "2012-05-27T19:51:00+04:00"),
        ("2012-05-27 19:51 +0400", "2012-05-27T19:51:00+04:00"),
        ("May 2012", None),
        ("May 32, 2012", None),
        ("February 30, 2012", None),
        ("May 27, 2012 13:00 pm", None),
        ("May 27, 2012 25:00", None),
        ("On May 27, 2012 it rained.", None),
        ("", None),
    ],
)
def test_parse_date(line: str, expected: str | None) -> None:
    assert parse_date_line(line) == expected


def test_updated_line_gives_modified() -> None:
    document = read_markdown("Head Line\n\nMay 27, 2012\n\nUpdated: May 28, 2012\n\nBody.\n")
    assert (document.published, document.modified) == ("2012-05-27", "2012-05-28")


def test_plain_text_is_read_as_commonmark() -> None:
    document = read_markdown("Plain Title\r\n\r\nFirst line\r\nwrapped line.\r\n\r\nNext.\r\n")
    assert document.title == "Plain Title"
    assert [block.text for block in document.blocks] == ["First line wrapped line.", "Next."]


def test_empty_text_gives_an_empty_document() -> None:
    document = read_markdown("")
    assert document.blocks == ()
    assert document.title is None


def test_one_megabyte_parses_fast() -> None:
    seed = SEED.read_text(encoding="utf-8")
    body = seed.split("The  **Moscow Times**")[1].split("Original url:")[0]
    text = seed.replace(body, body * (1_000_000 // len(body)))
    assert len(text) > 950_000
    started = time.perf_counter()
    document = read_markdown(text)
    elapsed = time.perf_counter() - started
    assert document.title == "Kazakh Massacre Cover-Up"
    assert len(document.blocks) > 2000
    assert elapsed < 1.0, f"1 MB took {elapsed:.2f}s"


def test_deep_nesting_does_not_recurse() -> None:
    read_markdown("> " * 10_000 + "deep\n\n" + "- " * 10_000 + "item\n")  # no RecursionError
    document = read_markdown("Head Line\n\n" + "> " * 15 + "quoted deep\n")
    assert [(block.kind, block.text) for block in document.blocks] == [
        (BlockKind.QUOTE, "quoted deep")
    ]


# -- header lines in any script, bylines and date lines of every common shape ------------


@pytest.mark.parametrize(
    "lede",
    [
        "香港行政长官在各方压力下到立法会接受质询并向香港民众道歉",  # no full stop
        "【6月18日 AFP】ナイジェリア北東部で16日夜、自爆攻撃があった",
        "ผล DNA ยืนยัน ศพลอยแม่น้ำโขงเป็นคนสนิท",
    ],
)
def test_a_short_lede_without_capitals_is_body_not_a_header_line(lede: str) -> None:
    document = read_markdown(f"# 标题\n\n{lede}\n\n第二段。\n")
    assert document.publication is None
    assert [block.text for block in document.blocks] == [lede, "第二段。"]


def test_a_paragraph_in_characters_is_prose_not_a_title() -> None:
    paragraph = (
        "香港行政长官梁振英在各方压力下就其大宅的违章建筑问题到立法会接受质询并向香港民众道歉"
    )
    document = read_markdown(f"{paragraph}\n\n第二段。\n")
    assert document.title is None
    assert document.blocks[0].text == paragraph


@pytest.mark.parametrize(
    ("line", "byline"),
    [
        ('By Amanda "Tania Mae" Tan', 'Amanda "Tania Mae" Tan'),
        ("By Amanda \u201cTania Mae\u201d Tan", "Amanda \u201cTania Mae\u201d Tan"),
        ("By Stella Kim, Jennifer Jett and Ann One", "Stella Kim, Jennifer Jett and Ann One"),
        ("By Stella Kim & Jennifer Jett", "Stella Kim & Jennifer Jett"),
    ],
)
def test_bylines_with_nicknames_and_several_authors(line: str, byline: str) -> None:
    document = read_markdown(f"# Head Line\n\n{line}\n\nThe body, which is prose.\n")
    assert document.byline == byline
    assert [block.text for block in document.blocks] == ["The body, which is prose."]


@pytest.mark.parametrize(
    ("line", "field", "value"),
    [
        ("Updated 3:41 PM EST, Mon November 6, 2023", "modified", "2023-11-06T15:41:00"),
        ("Published 6:00 AM EST, Mon November 6, 2023", "published", "2023-11-06T06:00:00"),
        ("Fri 18 Nov 2011 22.00 GMT", "published", "2011-11-18T22:00:00+00:00"),
        ("2023年11月17日", "published", "2023-11-17"),
        ("2019년 8월 20일 10:31", "published", "2019-08-20T10:31:00"),
        ("December 6, 2024 / 10:00 PM UTC / Updated December 7, 2024", "modified", "2024-12-07"),
    ],
)
def test_a_date_line_after_a_byline_is_a_header_line(line: str, field: str, value: str) -> None:
    document = read_markdown(
        f"# Head Line\n\nBy Robert Jones\n\n{line}\n\nThe body, which is prose.\n"
    )
    assert document.byline == "Robert Jones"
    assert getattr(document, field) == value
    assert document.publication is None
    assert [block.text for block in document.blocks] == ["The body, which is prose."]


def test_html5_references_in_markdown_are_their_characters() -> None:
    document = read_markdown("Growth of 400&percnt;&NewLine;in a year &lpar;so far&rpar;.\n")
    assert [block.text for block in document.blocks] == ["Growth of 400% in a year (so far)."]
