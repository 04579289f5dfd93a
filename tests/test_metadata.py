"""Page metadata without false alarms: bylines name people, dates are what they say.

Each page is small and synthetic; the local copies are Markdown.
"""

from __future__ import annotations

import pytest

from snapverify.compare import compare_documents
from snapverify.models import Source, SourceKind
from snapverify.text.bylines import byline_names, person_byline
from snapverify.text.extract import extract
from snapverify.text.markdown import read_markdown

BODY = "".join(
    f"<p>Paragraph {n} of the article says something about the council vote and its result.</p>"
    for n in range(1, 6)
)


def _page(head: str = "", before: str = "", after: str = "") -> str:
    return (
        f"<html><head><title>Council Keeps Library Open</title>{head}</head><body>"
        f"<h1>Council Keeps Library Open</h1>{before}<article>{BODY}</article>{after}"
        "</body></html>"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("By Jane Doe", "Jane Doe"),
        ('Amanda "Tania Mae" Tan', 'Amanda "Tania Mae" Tan'),
        ("Stella Kim and Jennifer Jett", "Stella Kim and Jennifer Jett"),
        ("Alejandro de la Garza", "Alejandro de la Garza"),
        ("NATALIYA VASILYEVA", "NATALIYA VASILYEVA"),
        ("1 mars 2019 à 15:20", None),  # a date
        ("Updated 3 May", None),
        ("Staff", None),  # a desk or a role alone
        ("Politics desk", None),
        ("National Desk", None),
        ("J J", None),  # an avatar's initials
        ("Katie Couric New Yorkers post their feelings about the election", None),  # a teaser
        ("", None),
    ],
)
def test_a_byline_is_a_name(text: str, expected: str | None) -> None:
    assert person_byline(text) == expected


def test_byline_names_leave_out_connectors_roles_and_accents() -> None:
    assert byline_names("By Stella Kim & J\u00e9r\u00e9my Piette, Staff Writer") == {
        "stella",
        "kim",
        "jeremy",
        "piette",
    }
    assert byline_names("Politics desk") == frozenset()


@pytest.mark.parametrize(
    "byline_markup",
    [
        '<div class="byline">1 mars 2019 à 15:20</div>',
        '<div class="author">National Desk</div>',
        '<span class="author-avatar">J J</span>',
    ],
)
def test_a_date_a_desk_or_initials_in_an_author_element_is_not_the_byline(
    byline_markup: str,
) -> None:
    page = _page(before=byline_markup + '<span class="author-name">Jane Doe</span>')
    assert extract(page).byline == "Jane Doe"
    assert extract(_page(before=byline_markup)).byline is None


def test_a_readers_name_under_a_comment_is_not_the_byline() -> None:
    comments = (
        '<ul class="comments-list"><li class="comment">'
        '<div class="byline">Sky Walker</div><p>Great piece.</p></li></ul>'
    )
    assert extract(_page(after=comments)).byline is None
    article_byline = '<div class="byline">By Jane Doe</div>'
    assert extract(_page(before=article_byline, after=comments)).byline == "Jane Doe"


def test_json_ld_wrapped_in_cdata_is_read() -> None:
    script = (
        '<script type="application/ld+json">\n//<![CDATA[\n'
        '{"@context": "https://schema.org", "@type": "NewsArticle",'
        ' "headline": "Council Keeps Library Open", "author": {"name": "Jane Doe"},'
        ' "datePublished": "2024-12-06T22:00:40Z", "dateModified": "2024-12-07T12:43:39Z"}'
        "\n//]]>\n</script>"
    )
    document = extract(_page(head=script))
    assert document.byline == "Jane Doe"
    assert document.published == "2024-12-06T22:00:40Z"
    assert document.modified == "2024-12-07T12:43:39Z"


def test_published_is_not_taken_from_the_modified_time() -> None:
    head = (
        '<meta property="article:published_time" content="2024-12-07T12:43:39Z">'
        '<meta property="article:modified_time" content="2024-12-07T12:43:39Z">'
    )
    before = '<time itemprop="datePublished" datetime="2024-12-06T22:00:40Z">6 Dec</time>'
    document = extract(_page(head=head, before=before))
    assert document.published == "2024-12-06T22:00:40Z"
    assert document.modified == "2024-12-07T12:43:39Z"
    # With nothing else to go by, the one date the page gives is kept.
    assert extract(_page(head=head)).published == "2024-12-07T12:43:39Z"


def _local() -> str:
    paragraphs = "\n\n".join(
        f"Paragraph {n} of the article says something about the council vote and its result."
        for n in range(1, 6)
    )
    return (
        "---\ntitle: Council Keeps Library Open\nauthor: Jane Doe\ndate: 2024-12-06\n---\n\n"
        + paragraphs
        + "\n"
    )


@pytest.mark.parametrize(
    ("head", "before"),
    [
        ('<meta name="author" content="Politics desk">', ""),
        ('<meta name="author" content="Jane Doe and John Roe">', ""),
        ("", '<div class="byline">By JANE DOE | Updated 3 May 2025</div>'),
        ('<meta property="article:published_time" content="2024-12-07T03:00:00+00:00">', ""),
    ],
)
def test_an_unchanged_article_gives_no_metadata_finding(head: str, before: str) -> None:
    local = read_markdown(_local(), url="https://example.com/news/library")
    page = _page(head=head, before=before)
    remote = extract(page, url="https://example.com/news/library", reference=local)
    source = Source(id="live", kind=SourceKind.LIVE, url="https://example.com/news/library")
    comparison = compare_documents(local, [(source, remote)])
    assert not [finding for finding in comparison.findings if finding.substantive]


def test_html5_references_in_a_page_are_their_characters() -> None:
    page = _page(head="").replace(
        "<title>Council Keeps Library Open</title>",
        "<title>Council Keeps Library Open &lpar;100&percnt;&rpar;</title>",
    )
    document = extract(page)
    assert "Council Keeps Library Open (100%)" in document.title_variants


def test_an_organisation_as_json_ld_author_is_not_the_byline() -> None:
    script = (
        '<script type="application/ld+json">{"@type": "NewsArticle",'
        ' "author": [{"@type": "Organization", "name": "NBC News"},'
        ' {"@type": "Person", "name": "Jane Doe"}]}</script>'
    )
    assert extract(_page(head=script)).byline == "Jane Doe"
    only_publisher = script.replace(', {"@type": "Person", "name": "Jane Doe"}', "")
    assert extract(_page(head=only_publisher)).byline is None
