"""Guided extraction on small synthetic pages: what around an article is furniture.

Each page holds an unchanged article and one kind of page furniture that once made
snapverify report a passage that had not changed (captions and credits, quote
attributions, furniture words in the article's own class, a news stream repeating the
lede, hover cards, notices after the article). An unchanged article must give no
substantive finding; where the furniture rule could hide a real change, a second test
checks that the change is still found.
"""

from __future__ import annotations

import pytest

from snapverify.compare import compare_documents
from snapverify.models import Document, Finding, Source, SourceKind
from snapverify.text.extract import extract
from snapverify.text.markdown import read_markdown
from snapverify.text.normalise import word_keys

URL = "https://news.example/2019/11/18/story"

PARAGRAPHS = [
    "Scientists on Monday unveiled the first global geological map of the moon Titan, "
    "showing a world of lakes, dunes and plains.",
    "The map was based on radar, infrared and other data collected by the Cassini "
    "spacecraft, which studied the moon for thirteen years.",
    "Organic materials play a leading role on Titan, said the planetary geologist who "
    "led the research published on Monday.",
    "Rainfall occurs everywhere on the moon, but the equatorial regions are drier than "
    "the poles, said a co-author of the study.",
    "Plains cover sixty-five percent of the surface and dunes seventeen percent, made of "
    "frozen bits of organic material.",
]


def _local(paragraphs: list[str]) -> Document:
    body = "\n\n".join(paragraphs)
    return read_markdown(f"---\ntitle: Titan mapped\nurl: {URL}\n---\n\n{body}\n", url=URL)


def _page(body: str) -> str:
    return (
        "<!DOCTYPE html><html><head><title>Titan mapped | News</title></head><body>"
        "<nav><a href='/'>Home</a> <a href='/science'>Science</a></nav>"
        f"<main>{body}</main>"
        "<footer><p>Copyright 2019 News Example. All rights reserved.</p></footer>"
        "</body></html>"
    )


def _paragraphs(paragraphs: list[str], cls: str = "article-body") -> str:
    inner = "".join(f"<p>{p}</p>" for p in paragraphs)
    return f"<div class='{cls}'>{inner}</div>"


def _findings(local: Document, html: str) -> list[Finding]:
    document = extract(html, url=URL, reference=local)
    source = Source(id="live", kind=SourceKind.LIVE, url=URL)
    comparison = compare_documents(local, [(source, document)])
    return [f for f in comparison.findings if f.substantive and not f.kind.is_link]


def _texts(local: Document, html: str) -> list[str]:
    return [block.text for block in extract(html, url=URL, reference=local).blocks]


# --- captions and credits ---------------------------------------------------------------


def test_a_caption_inside_an_inline_span_is_furniture() -> None:
    caption = (
        "<p><span class='wf_caption'><a href='/img/titan.jpg'><img src='/img/titan.jpg'></a>"
        "<span style='display:block'>The first global geologic map of Titan. "
        "(<a href='https://photos.example/titan'>NASA/JPL-Caltech/ASU</a>)</span></span></p>"
    )
    body = (
        _paragraphs(PARAGRAPHS[:3])[:-6] + caption + "".join(f"<p>{p}</p>" for p in PARAGRAPHS[3:])
    )
    html = _page(body + "</div>")
    local = _local(PARAGRAPHS)
    assert not any("geologic map of Titan." in text for text in _texts(local, html))
    assert _findings(local, html) == []


def test_a_paragraph_added_next_to_an_inline_caption_is_still_found() -> None:
    added = (
        "The agency said on Tuesday that a second map, of the moon's north pole, would "
        "follow next year."
    )
    caption = (
        "<p><span class='image-caption'><img src='/t.jpg'> A radar view of the dunes."
        " (NASA)</span></p>"
    )
    html = _page(
        "<div class='article-body'>"
        + "".join(f"<p>{p}</p>" for p in PARAGRAPHS[:3])
        + caption
        + f"<p>{added}</p>"
        + "".join(f"<p>{p}</p>" for p in PARAGRAPHS[3:])
        + "</div>"
    )
    findings = _findings(_local(PARAGRAPHS), html)
    assert [(str(f.kind), f.remote_text) for f in findings] == [("added", added)]


def test_a_credit_the_local_copy_kept_does_not_pull_in_the_bio_before_it() -> None:
    # The local copy kept the closing figure's credit; the author's bio and the related
    # links sit between the article's last paragraph and that credit.
    credit = "(Image credit: All About Space)"
    html = _page(
        "<div class='text-copy'>"
        + "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
        + "<ul><li><a href='/a'>Photos: the moons of Saturn</a></li>"
        "<li><a href='/b'>Cassini's last dive</a></li></ul>"
        '<p>Jane Roe\'s book about the search for alien life, "Out There", is out now. '
        "Follow her on Twitter @janeroe.</p>"
        "<figure><img src='/m.jpg'><figcaption><p>Subscribe to our magazine.</p>"
        f"</figcaption><div class='credit'>{credit}</div></figure>"
        "</div>"
    )
    local = _local([*PARAGRAPHS, credit])
    assert not any("Out There" in text for text in _texts(local, html))
    assert _findings(local, html) == []


# --- quote attributions -----------------------------------------------------------------

QUOTE = (
    "\u201cHad he written a sequence of five books based in that world, with that power, "
    "he would have been the most famous writer of his day.\u201d"
)


def _quote_page(attribution: str = "\u2014 Neil Gaiman") -> str:
    return _page(
        "<div class='article__content'>"
        + "".join(f"<p>{p}</p>" for p in PARAGRAPHS[:2])
        + f"<div class='pull-quote pull-quote--left'><p>{QUOTE}</p><p>{attribution}</p></div>"
        + "".join(f"<p>{p}</p>" for p in PARAGRAPHS[2:])
        + "</div>"
    )


def test_an_attribution_line_belongs_to_the_quote_above_it() -> None:
    local = _local([*PARAGRAPHS[:2], f"{QUOTE} \u2014 Neil Gaiman", *PARAGRAPHS[2:]])
    assert f"{QUOTE} \u2014 Neil Gaiman" in _texts(local, _quote_page())
    assert _findings(local, _quote_page()) == []


def test_an_attribution_the_local_copy_lacks_is_furniture() -> None:
    local = _local([*PARAGRAPHS[:2], QUOTE, *PARAGRAPHS[2:]])
    assert _findings(local, _quote_page()) == []


def test_an_attribution_kept_as_its_own_paragraph_stays_one() -> None:
    local = _local([*PARAGRAPHS[:2], QUOTE, "\u2014 Neil Gaiman", *PARAGRAPHS[2:]])
    assert _findings(local, _quote_page()) == []


def test_a_changed_quote_is_still_an_edit() -> None:
    local = _local([*PARAGRAPHS[:2], f"{QUOTE} \u2014 Neil Gaiman", *PARAGRAPHS[2:]])
    html = _quote_page().replace("five books", "six books")
    findings = _findings(local, html)
    assert [str(f.kind) for f in findings] == ["edited"]
    assert "six" in (findings[0].remote_text or "")


# --- a furniture word in the article's own container -------------------------------------


@pytest.mark.parametrize(
    "cls",
    [
        "article-body read-left-padding js-figure-zoom",
        "elementor-widget-container",
        "entry-content has-share-buttons",
        "post-body promo-free",
    ],
)
def test_a_container_named_like_furniture_that_holds_the_article_is_the_article(
    cls: str,
) -> None:
    added = (
        "The quarrel can hide behind every door, even that of exile, the director said "
        "in an interview last week."
    )
    # the standfirst sits beside the body, so the article region is the <article>
    # around both, and the body's own class is judged like any element inside it
    html = _page(
        f"<article><div class='standfirst'><p>{PARAGRAPHS[0]}</p></div>"
        f"<div class='{cls}'>"
        + "".join(f"<p>{p}</p>" for p in PARAGRAPHS[1:3])
        + f"<p>{added}</p>"
        + "".join(f"<p>{p}</p>" for p in PARAGRAPHS[3:])
        + "</div></article>"
    )
    local = _local(PARAGRAPHS)
    findings = _findings(local, html)
    # the paragraph the local copy lacks is found: the container is the article
    assert [(str(f.kind), f.remote_text) for f in findings] == [("added", added)]


def test_a_real_share_box_inside_the_article_stays_furniture() -> None:
    html = _page(
        "<div class='article-body'>"
        + "".join(f"<p>{p}</p>" for p in PARAGRAPHS[:3])
        + "<div class='share-tools'><p>Share this story with your friends on every "
        "network you use today.</p></div>"
        + "".join(f"<p>{p}</p>" for p in PARAGRAPHS[3:])
        + "</div>"
    )
    assert _findings(_local(PARAGRAPHS), html) == []


# --- a news stream that repeats the lede -------------------------------------------------

LEDE = (
    "An unmanned cargo spaceship heading to the space station broke up in the atmosphere "
    "over Siberia on Thursday due to a malfunction, the space agency said."
)
STREAM = [
    "A fashion designer has announced that he would not be dressing the future first lady "
    "when her husband takes office next month.",
    "A sheriff says a woman who was held captive for three weeks is unable to fully "
    "describe her two captors to the investigators.",
    "The president-elect named a Wall Street veteran for Treasury secretary on Wednesday, "
    "filling a key post in his cabinet.",
]


def _stream_page(article: list[str]) -> str:
    stream = "".join(f"<li><p class='teaser'>{t}</p></li>" for t in [LEDE, *STREAM])
    body = "".join(f"<p class='canvas-text'>{p}</p>" for p in article)
    return _page(
        f"<div class='stream'><ul>{stream}</ul></div><div class='canvas-body'>{body}</div>"
    )


def test_a_news_stream_repeating_the_lede_is_not_the_article() -> None:
    local = _local([LEDE, *PARAGRAPHS])
    html = _stream_page([f"MOSCOW (AP) \u2014 {LEDE}", *PARAGRAPHS])
    texts = _texts(local, html)
    assert not any(teaser in texts for teaser in STREAM)
    assert texts[0].startswith("MOSCOW (AP)")
    findings = _findings(local, html)
    assert all(not set(STREAM) & {f.remote_text} for f in findings)
    assert [str(f.kind) for f in findings] in ([], ["edited"])  # the dateline, at most


def test_a_paragraph_added_after_a_repeated_lede_is_still_found() -> None:
    added = "Debris fell over a remote region, and no one was hurt, the regional governor said."
    local = _local([LEDE, *PARAGRAPHS])
    html = _stream_page([LEDE, *PARAGRAPHS[:2], added, *PARAGRAPHS[2:]])
    findings = _findings(local, html)
    assert [(str(f.kind), f.remote_text) for f in findings] == [("added", added)]


# --- rows, hover cards, notices ------------------------------------------------------------

ROWS = [
    ("Ticker", "Security", "Last", "Change"),
    ("HD", "THE HOME DEPOT INC.", "225.86", "-12.99"),
    ("LOW", "LOWE'S COMPANIES INC.", "113.40", "-1.62"),
    ("FND", "FLOOR & DECOR", "48.10", "-0.52"),
]


def test_a_table_row_the_local_copy_lacks_between_its_rows_is_found() -> None:
    rows = ["<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in ROWS]
    # the header row in <thead>, the others in <tbody>: all rows of one table
    table = f"<table><thead>{rows[0]}</thead><tbody>{''.join(rows[1:])}</tbody></table>"
    html = _page(
        "<div class='article-body'>"
        + f"<p>{PARAGRAPHS[0]}</p>"
        + table
        + "".join(f"<p>{p}</p>" for p in PARAGRAPHS[1:])
        + "</div>"
    )
    lines = [" ".join(row) for row in ROWS]
    local = _local([PARAGRAPHS[0], lines[0], lines[2], lines[3], *PARAGRAPHS[1:]])
    findings = _findings(local, html)
    assert [(str(f.kind), f.remote_text) for f in findings] == [("added", lines[1])]


def test_a_hover_card_inside_a_paragraph_is_not_text() -> None:
    card = (
        "<span class='rollover-people'><a href='/people/jane-doe'>Jane Doe</a>"
        "<span class='rollover-people-block'><span><img src='/jd.jpg'>"
        "<a class='name' href='/people/jane-doe'>Jane Ann Doe</a>"
        "<a href='/news/1'>Governor doubles down on her campaign</a> "
        "<a href='/news/2'>State drops pipeline protest laws after lawsuit</a> "
        "<a class='more' href='/people/jane-doe'>MORE</a></span></span></span>"
    )
    lede = "Governor Jane Doe (R) is defending the state's new campaign against drugs."
    html = _page(
        "<div class='article-body'>"
        + f"<p>Governor {card} (R) is defending the state's new campaign against drugs.</p>"
        + "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
        + "</div>"
    )
    local = _local([lede, *PARAGRAPHS])
    assert word_keys(_texts(local, html)[0]) == word_keys(lede)
    assert _findings(local, html) == []


def test_a_notice_set_in_bold_after_the_article_is_furniture() -> None:
    html = _page(
        "<div class='article-body'>"
        + "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
        + "<p style='font-size:10px; font-weight:bold; border-top:1px #999 solid'>"
        "ATTENTION: comments with unreadable text or that lack respect for other users "
        "will not be approved by the moderator.</p></div>"
    )
    assert _findings(_local(PARAGRAPHS), html) == []


def test_local_text_found_only_in_a_related_box_is_missing_from_the_article() -> None:
    # The article dropped its subhead; a related-stories box links with the same words.
    subhead = "The moons of Saturn, mapped"
    local = _local([*PARAGRAPHS[:2], subhead, *PARAGRAPHS[2:]])
    html = _page(
        _paragraphs(PARAGRAPHS) + "<div class='related-stories'><ul>"
        f"<li><a href='/saturn'><div class='thumb'>{subhead}</div></a></li>"
        "<li><a href='/cassini'><div class='thumb'>Cassini's last dive</div></a></li>"
        "</ul></div>"
    )
    findings = _findings(local, html)
    assert [(str(f.kind), f.local_text) for f in findings] == [("missing", subhead)]


def test_a_caption_the_local_copy_keeps_is_kept_though_a_paragraph_repeats_its_words() -> None:
    # Not a teaser of the lede: the caption quotes three words of a long paragraph.
    caption = "Sony\u2019s PlayStation VR."
    lede = (
        "Virtual reality has officially reached the consoles, and Sony\u2019s PlayStation VR "
        "is extremely comfortable to wear for hours at a time."
    )
    local = _local([caption, lede, *PARAGRAPHS])
    html = _page(
        f"<figure><img src='/vr.jpg'><figcaption><div class='figure-caption'>{caption}"
        "</div></figcaption></figure>"
        f"<div class='canvas-body'><p>{lede}</p>"
        + "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
        + "</div>"
    )
    assert _findings(local, html) == []


# --- a paragraph the page cuts into short pieces ----------------------------------------

ZH_PARAGRAPHS = [
    "今年冬天第一波寒流來到山區，整片山坡的楓樹在幾天之內由綠轉黃，再慢慢轉成深紅色。",
    "沿著蜿蜒的山路往上開了一個多小時，終於抵達位在溪谷旁邊的小村莊，空氣又冷又濕。",
    "村子裡的老師傅用原木做了許多招牌和擺飾，每一件作品都看得出他花了很多時間與心思。",
    "傍晚時分霧氣從溪谷升起，遊客紛紛拿起相機，想把這片紅色的山林留在自己的記憶裡面。",
]


def test_a_paragraph_the_page_cuts_into_short_pieces_is_one_added_passage() -> None:
    # The web has a paragraph the local copy lacks; the page cuts it with blank lines
    # into a sentence, a four-character piece and the rest: all of it is the passage.
    pieces = ["入口處那塊木頭招牌最吸引人", "原木雕刻", "、小小的貓頭鷹擺飾點出了這裡的風格"]
    extra = "<br><br>".join(pieces)
    html = _page(
        "<div class='post-body'>"
        + "".join(f"<p>{p}</p>" for p in ZH_PARAGRAPHS[:2])
        + f"<p>{extra}</p>"
        + "".join(f"<p>{p}</p>" for p in ZH_PARAGRAPHS[2:])
        + "</div>"
    )
    findings = _findings(_local(ZH_PARAGRAPHS), html)
    assert [str(f.kind) for f in findings] == ["added"]
    assert findings[0].insert_after == 1
    assert (findings[0].remote_text or "").split("\n\n") == pieces
