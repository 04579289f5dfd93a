# ruff: noqa: E501  (the toolbar markup is copied as Wayback serves it, long lines and all)
"""Page variants for the accuracy benchmark: the same article served differently.

* :func:`wayback_playback`: the page as the Wayback Machine plays it back (toolbar
  between ``BEGIN/END WAYBACK TOOLBAR INSERT``, archive scripts, every link rewritten to
  ``/web/TS/URL``, the archive's trailer comment).
* :func:`cosmetic` : the page re-rendered with typographic changes only (quotes swapped
  straight <-> curly, spaced hyphens -> dashes, some spaces -> no-break spaces, soft
  hyphens inside long words, extra whitespace and line breaks).
* :func:`with_local_text`: the page edited so that its article says what an edited
  local copy says (an older capture, for the first-seen timeline); ``None`` when the
  edit cannot be placed in the markup with certainty.

All work on the decoded text of the page and re-encode it in its own charset, so
everything not touched stays byte for byte the same.
"""

from __future__ import annotations

import functools
import html as html_lib
import itertools
import re
from random import Random
from urllib.parse import urljoin

__all__ = ["cosmetic", "decode_page", "encode_page", "wayback_playback", "with_local_text"]

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([-\w.:]+)""", re.IGNORECASE)


def decode_page(data: bytes) -> tuple[str, str]:
    """The page's text and the codec to encode it back with."""
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    match = _META_CHARSET.search(data[:4096])
    codec = match.group(1).decode("ascii", "replace").lower() if match else "windows-1252"
    if codec in ("iso-8859-1", "latin-1", "latin1", "us-ascii", "ascii"):
        codec = "windows-1252"
    try:
        return data.decode(codec), codec
    except (LookupError, UnicodeDecodeError):
        return data.decode("windows-1252", "replace"), "windows-1252"


def encode_page(text: str, codec: str) -> bytes:
    return text.encode(codec, "xmlcharrefreplace")


# --- Wayback playback ------------------------------------------------------------------

_TOOLBAR = """<!-- BEGIN WAYBACK TOOLBAR INSERT -->
<script>__wm.rw(0);</script>
<div id="wm-ipp-base" lang="en" style="display:none;direction:ltr;">
<div id="wm-ipp" style="position:fixed;left:0;top:0;right:0;">
<div id="donato" style="position:relative;width:100%;">
  <div id="donato-base">
    <iframe id="donato-if" src="https://archive.org/includes/donate.php?as_page=1&amp;platform=wb&amp;referer={quoted}"
            scrolling="no" frameborder="0" style="width:100%; height:100%"></iframe>
  </div>
</div><div id="wm-ipp-inside">
  <div id="wm-toolbar" style="position:relative;display:flex;flex-flow:row nowrap;justify-content:space-between;">
    <div id="wm-logo" style="/*width:110px;*/padding-top:12px;">
      <a href="/web/" title="Wayback Machine home page"><img src="/_static/images/toolbar/wayback-toolbar-logo-200.png" srcset="/_static/images/toolbar/wayback-toolbar-logo-100.png, /_static/images/toolbar/wayback-toolbar-logo-150.png 1.5x, /_static/images/toolbar/wayback-toolbar-logo-200.png 2x" alt="Wayback Machine" style="width:100px" border="0" /></a>
    </div>
    <div class="c" style="display:flex;flex-flow:column nowrap;justify-content:space-between;flex:1;">
      <form class="u" style="display:flex;flex-direction:row;flex-wrap:nowrap;" target="_top" method="get" action="/web/submit" name="wmtb" id="wmtb"><input type="text" name="url" id="wmtbURL" value="{url}" onfocus="this.focus();this.select();" style="flex:1;"/><input type="hidden" name="type" value="replay" /><input type="hidden" name="date" value="{ts}" /><input type="submit" value="Go" /></form>
      <div style="display:flex;flex-flow:row nowrap;align-items:flex-end;">
        <div class="s" id="wm-nav-captures" style="flex:1;"><a class="t" href="/web/{ts}*/{url}" title="See a list of every capture for this URL">{captures} captures</a>
          <div class="r" title="Timespan for captures of this URL">{first} - {last}</div>
        </div>
        <div class="k">
          <a href="" id="wm-graph-anchor"><div id="wm-ipp-sparkline" title="Explore captures for this URL" style="position: relative"><canvas class="sparkline" width="650" height="43"></canvas><div class="yt" style="display:none;width:25px;height:43px;"></div></div></a>
        </div>
      </div>
    </div>
    <div class="n">
      <table><tbody>
        <tr class="m"><td class="b" nowrap="nowrap"><a href="/web/{prev}/{url}" title="{prev_title}">{prev_month}</a></td><td class="c" id="displayMonthEl" title="You are here: {here}">{month}</td><td class="f" nowrap="nowrap"><a href="/web/{next}/{url}" title="{next_title}">{next_month}</a></td></tr>
        <tr class="d"><td class="b" nowrap="nowrap"><a href="/web/{prev}/{url}" title="{prev_title}">{prev_day}</a></td><td id="displayDayEl" class="c" title="You are here: {here}">{day}</td><td class="f" nowrap="nowrap"><a href="/web/{next}/{url}" title="{next_title}">{next_day}</a></td></tr>
        <tr class="y"><td class="b" nowrap="nowrap"><a href="/web/{prev}/{url}" title="{prev_title}">{prev_year}</a></td><td id="displayYearEl" class="c" title="You are here: {here}">{year}</td><td class="f" nowrap="nowrap"><a href="/web/{next}/{url}" title="{next_title}">{next_year}</a></td></tr>
      </tbody></table>
    </div>
    <div class="r" style="display:flex;flex-flow:column nowrap;align-items:flex-end;justify-content:space-between;">
      <div id="wm-btns" style="white-space:nowrap;">
        <a href="#close" onclick="__wm.h(event);return false;" style="display:block;padding-right:18px;" title="Close the toolbar">Close</a>
        <a href="https://help.archive.org/help/category/the-wayback-machine/" title="Get some help using the Wayback Machine">Help</a>
        <a href="#expand" title="Expand the toolbar">About this capture</a>
      </div>
    </div>
  </div>
  <div id="wm-capinfo" style="border-top:1px solid #777;display:none; overflow:hidden">
    <div id="wm-capinfo-collected-by">
      <div style="background-color:#666;color:#fff;font-weight:bold;text-align:center">COLLECTED BY</div>
      <div style="padding:3px;position:relative" id="wm-collected-by-content">
        <div style="display:inline-block;vertical-align:top;width:50%;">
          <span class="c-logo" style="background-image:url(https://archive.org/services/img/webwidecrawl);"></span>
          Organization: <a style="color:#33f;" href="https://archive.org/details/webwidecrawl" target="_new"><span class="wm-title">Internet Archive</span></a>
          <div style="max-height:75px;overflow:hidden;position:relative;">
            <div style="position:absolute;top:0;left:0;width:100%;height:75px;background:linear-gradient(to bottom,rgba(255,255,255,0) 0%,rgba(255,255,255,0) 90%,rgba(255,255,255,255) 100%);"></div>
            The Internet Archive discovers and captures web pages through many different web crawls.
            At any given time several distinct crawls are running, some for months, and some every day or longer.
            View the web archive through the <a href="http://archive.org/web/web.php">Wayback Machine</a>.
          </div>
        </div>
        <div style="display:inline-block;vertical-align:top;width:49%;">
          <span class="c-logo" style="background-image:url(https://archive.org/services/img/wide00016)"></span>
          <div>Collection: <a style="color:#33f;" href="https://archive.org/details/wide00016" target="_new"><span class="wm-title">Wide Crawl Number 16</span></a></div>
          <div style="max-height:75px;overflow:hidden;position:relative;">
            Wide crawls of the Internet conducted by Internet Archive. Please visit the Wayback Machine to explore archived web sites.
            These crawls are part of an effort to archive pages as they are created and archive the pages that they refer to.
            That way, as the pages that are referenced are changed or taken from the web, a link to the version that was live when the page was written will be preserved.
          </div>
        </div>
      </div>
    </div>
    <div id="wm-capinfo-timestamps">
      <div style="background-color:#666;color:#fff;font-weight:bold;text-align:center" title="Timestamps for the elements of this page">TIMESTAMPS</div>
      <div><div id="wm-capresources" style="margin:0 5px 5px 5px;max-height:250px;overflow-y:scroll !important"></div><div id="wm-capresources-loading" style="text-align:left;margin:0 20px 5px 5px;display:none"><img src="/_static/images/loading.gif" alt="loading" /></div></div>
    </div>
  </div></div></div></div><div id="wm-ipp-print">The Wayback Machine - https://web.archive.org/web/{ts}/{url}</div>
<script type="text/javascript">//<![CDATA[
__wm.bt(650,27,25,2,"web","{url}","{date}",1996,"/_static/",["/_static/css/banner-styles.css?v=S1zqJCYt.css","/_static/images/toolbar/toolbar-sprite.png"], false);
  __wm.rw(1);
//]]></script>
<!-- END WAYBACK TOOLBAR INSERT -->
"""

_HEAD_INSERT = """<script src="//archive.org/includes/athena.js" type="text/javascript"></script>
<script type="text/javascript">window.addEventListener('DOMContentLoaded',function(){{var v=archive_analytics.values;v.service='wb';v.server_name='wwwb-app215.us.archive.org';v.server_ms=314;archive_analytics.send_pageview({{}});}});</script>
<script type="text/javascript" src="/_static/js/bundle-playback.js?v=HxkREWBo" charset="utf-8"></script>
<script type="text/javascript" src="/_static/js/wombat.js?v=txqj7nKC" charset="utf-8"></script>
<script>window.RufflePlayer=window.RufflePlayer||{{}};window.RufflePlayer.config={{"autoplay":"on","unmuteOverlay":"hidden"}};</script>
<script type="text/javascript">
  __wm.init("https://web.archive.org/web");
  __wm.wombat("{url}","{ts}","https://web.archive.org/","web","/_static/",
              "{epoch}");
</script>
<link rel="stylesheet" type="text/css" href="/_static/css/banner-styles.css?v=S1zqJCYt" />
<link rel="stylesheet" type="text/css" href="/_static/css/iconochive.css?v=3PDvdIFv" />
<!-- End Wayback Rewrite JS Include -->
"""

_TRAILER = """
<!--
     FILE ARCHIVED ON {clock} {date_words} AND RETRIEVED FROM THE
     INTERNET ARCHIVE ON 20:11:34 Dec 03, 2026.
     JAVASCRIPT APPENDED BY WAYBACK MACHINE, COPYRIGHT INTERNET ARCHIVE.

     ALL OTHER CONTENT MAY ALSO BE PROTECTED BY COPYRIGHT (17 U.S.C.
     SECTION 108(a)(3)).
-->
<!--
playback timings (ms):
  captures_list: 0.548
  exclusion.robots: 0.021
  exclusion.robots.policy: 0.01
  esindex: 0.011
  cdx.remote: 8.214
  LoadShardBlock: 128.7 (3)
  PetaboxLoader3.datanode: 151.38 (4)
  load_resource: 96.215
  PetaboxLoader3.resolve: 58.9
-->
"""

_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_URL_ATTR = re.compile(
    r"""(?P<pre>\s(?:href|src|action|poster|data-src)\s*=\s*)(?P<q>["'])(?P<v>[^"'<>]*)(?P=q)""",
    re.IGNORECASE,
)
_BODY = re.compile(r"<body\b[^>]*>", re.IGNORECASE)
_HEAD = re.compile(r"<head\b[^>]*>", re.IGNORECASE)
_ASSET = re.compile(r"\.(?:png|jpe?g|gif|webp|svg|ico)(?:\?|$)", re.IGNORECASE)


def _rewrite(value: str, base: str, ts: str) -> str:
    raw = html_lib.unescape(value).strip()
    if not raw or raw.startswith(("#", "javascript:", "mailto:", "tel:", "data:")):
        return value
    target = urljoin(base, raw)
    if not target.startswith(("http://", "https://")):
        return value
    if _ASSET.search(target):
        flag = "im_"
    elif target.split("?")[0].endswith(".css"):
        flag = "cs_"
    elif target.split("?")[0].endswith(".js"):
        flag = "js_"
    else:
        flag = ""
    return html_lib.escape(f"/web/{ts}{flag}/{target}", quote=True)


def wayback_playback(data: bytes, url: str, rng: Random) -> tuple[bytes, str]:
    """The page as Wayback plays it back, and the playback URL."""
    text, codec = decode_page(data)
    year = rng.randint(2012, 2022)
    month, day = rng.randint(1, 12), rng.randint(1, 28)
    ts = f"{year}{month:02d}{day:02d}{rng.randint(0, 23):02d}{rng.randint(0, 59):02d}{rng.randint(0, 59):02d}"
    prev = f"{year - 1}{month:02d}{day:02d}000000"
    nxt = f"{year + 1}{month:02d}{day:02d}000000"
    values = {
        "url": html_lib.escape(url, quote=True),
        "quoted": html_lib.escape(url.replace(":", "%3A").replace("/", "%2F"), quote=True),
        "ts": ts,
        "date": ts,
        "epoch": str(1_300_000_000 + rng.randint(0, 300_000_000)),
        "captures": f"{rng.randint(2, 3000):,}",
        "first": f"{day:02d} {['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][month - 1]} {year}",
        "last": "03 Dec 2026",
        "prev": prev,
        "next": nxt,
        "prev_title": f"{day} {_MONTHS[month - 1].title()} {year - 1}",
        "next_title": f"{day} {_MONTHS[month - 1].title()} {year + 1}",
        "prev_month": _MONTHS[(month - 2) % 12],
        "next_month": _MONTHS[month % 12],
        "month": _MONTHS[month - 1],
        "prev_day": str(max(1, day - 1)),
        "next_day": str(day + 1),
        "day": str(day),
        "prev_year": str(year - 1),
        "next_year": str(year + 1),
        "year": str(year),
        "here": f"{_MONTHS[month - 1].title()} {day}, {year}",
        "clock": f"{ts[8:10]}:{ts[10:12]}:{ts[12:14]}",
        "date_words": f"{_MONTHS[month - 1].title()} {day:02d}, {year}",
    }
    text = _URL_ATTR.sub(
        lambda m: f"{m.group('pre')}{m.group('q')}{_rewrite(m.group('v'), url, ts)}{m.group('q')}",
        text,
    )
    head = _HEAD.search(text)
    insert = _HEAD_INSERT.format(**values)
    text = (text[: head.end()] + insert + text[head.end() :]) if head else insert + text
    body = _BODY.search(text)
    toolbar = _TOOLBAR.format(**values)
    text = (text[: body.end()] + toolbar + text[body.end() :]) if body else toolbar + text
    text += _TRAILER.format(**values)
    return encode_page(text, codec), f"https://web.archive.org/web/{ts}/{url}"


# --- cosmetic re-render ----------------------------------------------------------------

# markup, comments, and the content of elements that hold no text
_NOT_TEXT = re.compile(
    r"<!--.*?-->|<(script|style|textarea|noscript|template|svg)\b.*?</\1\s*>"
    r"|<!\[CDATA\[.*?\]\]>|<[^>\"']*(?:(?:\"[^\"]*\"|'[^']*')[^>\"']*)*>",
    re.IGNORECASE | re.DOTALL,
)
_QUOTES = str.maketrans({"'": "\u2019", "\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"'})
_LONG_WORD = re.compile(r"[^\W\d_]{10,}")


def _cosmetic_text(text: str, rng: Random) -> str:
    if not text.strip():
        return text
    # entities stay as they are; only literal characters change
    parts = re.split(r"(&[#\w]+;)", text)
    out = []
    for k, part in enumerate(parts):
        if k % 2:
            if part in ("&quot;",):
                part = "\u201c" if rng.random() < 0.5 else "\u201d"
            elif part in ("&rsquo;", "&#8217;", "&lsquo;", "&#8216;", "&apos;", "&#39;"):
                part = "'"
            out.append(part)
            continue
        part = part.translate(_QUOTES)
        # straight double quotes become curly, opening or closing by position
        part = re.sub(r'"(?=\w)', "\u201c", part)
        part = part.replace('"', "\u201d")
        part = part.replace(" -- ", " \u2014 ").replace(" - ", " \u2013 ")
        part = part.replace("\u2014", "\u2013") if rng.random() < 0.5 else part
        part = _LONG_WORD.sub(
            lambda m: m.group()[:5] + "\u00ad" + m.group()[5:] if rng.random() < 0.5 else m.group(),
            part,
        )
        spaces = [m.start() for m in re.finditer(r"(?<=\S) (?=\S)", part)]
        swap = set(rng.sample(spaces, len(spaces) // 6)) if spaces else set()
        breaks = set(rng.sample(spaces, len(spaces) // 10)) if spaces else set()
        chars = list(part)
        for i in swap:
            chars[i] = "\u00a0"
        for i in breaks - swap:
            chars[i] = "\n      "
        part = "".join(chars)
        out.append(part)
    return "".join(out)


def cosmetic(data: bytes, rng: Random) -> bytes:
    """The page re-rendered with typography and whitespace changes only."""
    text, codec = decode_page(data)
    body = _BODY.search(text)
    start = body.end() if body else 0
    pieces: list[str] = [text[:start]]
    pos = start
    for match in _NOT_TEXT.finditer(text, start):
        pieces.append(_cosmetic_text(text[pos : match.start()], rng))
        pieces.append(match.group())
        pos = match.end()
    pieces.append(_cosmetic_text(text[pos:], rng))
    return encode_page("".join(pieces), codec)


# --- an older capture that says what the local copy says ------------------------------

_FLEX = {
    "&": r"(?:&|&amp;|&#0*38;)",
    "'": r"(?:'|&#0*39;|&apos;|&rsquo;|&#8217;|\u2019)",
    "\u2019": r"(?:\u2019|&rsquo;|&#8217;|&#x2019;|')",
    "\u2018": r"(?:\u2018|&lsquo;|&#8216;)",
    '"': r'(?:"|&quot;|&#0*34;)',
    "\u201c": r"(?:\u201c|&ldquo;|&#8220;)",
    "\u201d": r"(?:\u201d|&rdquo;|&#8221;)",
    "\u2014": r"(?:\u2014|&mdash;|&#8212;)",
    "\u2013": r"(?:\u2013|&ndash;|&#8211;)",
    "<": r"(?:&lt;|&#0*60;)",
    ">": r"(?:>|&gt;|&#0*62;)",
}
_SPACE = r"(?:\s|&nbsp;|&#160;|\u00a0)+"


def _pattern(text: str) -> str:
    out = []
    for chunk in re.split(r"(\s+)", text):
        if not chunk:
            continue
        if chunk.isspace():
            out.append(_SPACE)
        else:
            out.append("".join(_FLEX.get(c, re.escape(c)) for c in chunk))
    return "".join(out)


def _text_zones(text: str, start: int) -> list[tuple[int, int]]:
    """The spans of ``text`` after ``start`` that are page text (not markup, not scripts)."""
    zones = []
    pos = start
    for match in _NOT_TEXT.finditer(text, start):
        if match.start() > pos:
            zones.append((pos, match.start()))
        pos = match.end()
    if pos < len(text):
        zones.append((pos, len(text)))
    return zones


@functools.lru_cache(maxsize=4)
def _zones_and_text(text: str, start: int) -> tuple[tuple[tuple[int, int], ...], str]:
    """The text zones after ``start`` and the text they make with the markup left out."""
    zones = tuple(_text_zones(text, start))
    return zones, "".join(text[begin:end] for begin, end in zones)


def _find_once(text: str, needle: str, start: int) -> re.Match[str] | None:
    """The one place in the page's text where ``needle`` stands, or None (absent or ambiguous).

    Unique means unique in the text a reader sees, markup left out: a needle found once
    between tags but also standing, split by inline markup (``of <a>$286m</a>``), in
    another passage is ambiguous, or the edit would land in the wrong passage.
    """
    if not needle.strip():
        return None
    pattern = re.compile(_pattern(needle))
    zones, visible = _zones_and_text(text, start)
    found = []
    for begin, end in zones:
        found += list(pattern.finditer(text, begin, end))
        if len(found) > 1:
            return None
    if len(found) == 1 and sum(1 for _ in itertools.islice(pattern.finditer(visible), 2)) > 1:
        return None
    return found[0] if found else None


def _replace_span(text: str, start: int, old: str, new: str) -> str | None:
    """Replace one placed occurrence of a small edit (old -> new, with context)."""
    for width in (30, 16, 8, 4):
        # the edit with ``width`` characters of context on each side
        for left_w, right_w in ((width, width), (width, 0), (0, width)):
            left = old[0][-left_w:] if left_w else ""
            right = old[2][:right_w] if right_w else ""
            needle = left + old[1] + right
            if len(needle.strip()) < 4:
                continue
            match = _find_once(text, needle, start)
            if match is None:
                continue
            # re-find the parts inside the match to keep the page's own encoding of the context
            sub = re.match(
                f"({_pattern(left) if left else ''})({_pattern(old[1]) if old[1].strip() else re.escape(old[1])})",
                match.group(),
            )
            if sub is None:
                continue
            begin = match.start() + sub.end(1)
            end = match.start() + sub.end(2)
            return text[:begin] + html_lib.escape(new, quote=False) + text[end:]
    return None


def _split_edit(before: str, after: str) -> tuple[tuple[str, str, str], str]:
    i = 0
    while i < min(len(before), len(after)) and before[i] == after[i]:
        i += 1
    j = 0
    while j < min(len(before), len(after)) - i and before[-1 - j] == after[-1 - j]:
        j += 1
    return (before[:i], before[i : len(before) - j], before[len(before) - j :]), after[
        i : len(after) - j
    ]


_CLOSE = re.compile(r"</(?:p|div|li|h[1-6]|blockquote|pre|td|dd|section)\s*>", re.IGNORECASE)


def with_local_text(
    data: bytes,
    page_paragraphs: tuple[str, ...],
    kind: str,
    *,
    target: int | None,
    edited: str | None = None,
    donor: str | None = None,
    removed_index: int | None = None,
) -> bytes | None:
    """The page changed so that its article says what the edited local copy says.

    ``kind`` is the benchmark's edit kind: number/name/negation replace text in the
    ``target`` paragraph with ``edited``; ``deleted`` adds ``donor`` as a paragraph at
    ``target``; ``inserted`` removes paragraph ``removed_index``.
    """
    text, codec = decode_page(data)
    body = _BODY.search(text)
    start = body.end() if body else 0
    if kind in ("number", "name", "negation") and target is not None and edited is not None:
        old, new = _split_edit(page_paragraphs[target], edited)
        changed = _replace_span(text, start, old, new)
        return None if changed is None else encode_page(changed, codec)
    if kind == "deleted" and target is not None and donor is not None:
        if target > 0:
            anchor = page_paragraphs[target - 1]
            for width in (40, 24, 12):
                match = _find_once(text, anchor[-width:], start)
                if match:
                    close = _CLOSE.search(text, match.end())
                    if close is None:
                        return None
                    at = close.end()
                    break
            else:
                return None
        else:
            anchor = page_paragraphs[0]
            for width in (40, 24, 12):
                match = _find_once(text, anchor[:width], start)
                if match:
                    at = text.rfind("<", start, match.start())
                    if at < 0:
                        return None
                    break
            else:
                return None
        para = f"<p>{html_lib.escape(donor, quote=False)}</p>"
        return encode_page(text[:at] + para + text[at:], codec)
    if kind == "inserted" and removed_index is not None:
        paragraph = page_paragraphs[removed_index]
        for width in (40, 24, 12):
            head = _find_once(text, paragraph[:width], start)
            if head is None:
                continue
            tail = _find_once(text, paragraph[-width:], head.start())
            if tail is None or tail.end() - head.start() > 4 * len(paragraph) + 2000:
                continue
            return encode_page(text[: head.start()] + text[tail.end() :], codec)
        return None
    return None
