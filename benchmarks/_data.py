"""Shared helpers for the benchmarks: locate the real data, load pages, build local copies.

The pages belong to their publishers and are never copied into the repository: they are
read in place from ``../shared/realdata`` (relative to the repository root), or from the
folder named by the environment variable ``SNAPVERIFY_SHARED``.

Two corpora are used:

* ``scrapinghub_aeb``: 181 real article pages with a human-annotated ``articleBody``.
  Paragraphs are separated by blank lines; some paragraphs hold single newlines (list
  items, table rows, a caption under a heading), so every non-empty line is taken as
  one paragraph.
* ``readability_news``: 40 news pages; the expected text is Mozilla Readability's
  output (``expected.html``), whose block elements become the paragraphs.
"""

from __future__ import annotations

import gzip
import json
import os
import random
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from lxml import html as lxml_html

__all__ = [
    "BLOCK_TAGS",
    "Page",
    "REPO_ROOT",
    "load_pages",
    "page_rng",
    "realdata_dir",
    "shared_dir",
    "to_markdown",
    "word_count",
    "words",
]

REPO_ROOT = Path(__file__).resolve().parents[1]
AEB = Path("02_article_extraction") / "scrapinghub_aeb"
READABILITY = Path("02_article_extraction") / "readability_news" / "test-pages"
CURATED = Path("02_article_extraction") / "curated_articles_9lang"

BLOCK_TAGS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre"})

# scripts written without spaces between words (CJK, kana, Thai, Lao, Burmese, Khmer):
# each character counts as a word, so a paragraph is never one or two "words"
_NO_SPACE = (
    "\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf"
    "\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
)
_WORD = re.compile(rf"[{_NO_SPACE}]|(?:(?![{_NO_SPACE}])\w)+(?:['\u2019](?:(?![{_NO_SPACE}])\w)+)*")
_SPACE = re.compile(r"\s+")


def shared_dir() -> Path:
    """Return the shared data folder (``$SNAPVERIFY_SHARED`` or ``<repo>/../shared``)."""
    env = os.environ.get("SNAPVERIFY_SHARED")
    return Path(env).expanduser().resolve() if env else REPO_ROOT.parent / "shared"


def realdata_dir() -> Path:
    """Return ``<shared>/realdata``, or exit with a clear message when it is absent."""
    path = shared_dir() / "realdata"
    missing = [p for p in (path / AEB / "ground-truth.json", path / READABILITY) if not p.exists()]
    if missing:
        sys.exit(
            f"benchmark data not found: {missing[0]}\n"
            "The benchmarks read real pages from ../shared/realdata (next to the repository); "
            "set SNAPVERIFY_SHARED=/path/to/shared to point elsewhere."
        )
    return path


@dataclass(frozen=True, slots=True)
class Page:
    """One real article page and its expected body text."""

    id: str
    corpus: str  # "aeb", "readability" or "curated"
    url: str
    title: str
    paragraphs: tuple[str, ...]
    html_path: Path
    lang: str = "en"
    byline: str | None = None
    date: str | None = None
    # curated pages: each paragraph's Markdown (headings, list items, quotes, links)
    md: tuple[str, ...] = ()

    def html(self) -> bytes:
        data = self.html_path.read_bytes()
        return gzip.decompress(data) if self.html_path.suffix == ".gz" else data


def words(text: str) -> list[str]:
    """Lower-cased word tokens (the benchmarks' own tokeniser, independent of snapverify)."""
    return [w.lower() for w in _WORD.findall(text)]


def word_count(text: str) -> int:
    return len(_WORD.findall(text))


def clean(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


_XML_DECL = re.compile(r"^\s*<\?xml[^>]*>")


def _parse(html: bytes) -> lxml_html.HtmlElement | None:
    """Parse a page for its metadata: UTF-8 when it decodes as such, else lxml's guess."""
    try:
        try:
            return lxml_html.fromstring(_XML_DECL.sub("", html.decode("utf-8")))
        except UnicodeDecodeError:
            return lxml_html.fromstring(html)
    except (ValueError, lxml_html.etree.ParserError):
        return None


def page_title(html: bytes) -> str:
    """The page's ``og:title`` (usually free of the site name), else its ``<title>``."""
    root = _parse(html)
    if root is None:
        return ""
    for xpath in (
        "//meta[@property='og:title']/@content",
        "//meta[@name='og:title']/@content",
        "//meta[@name='twitter:title']/@content",
        "//title/text()",
    ):
        for value in root.xpath(xpath):
            title = clean(str(value))
            if title:
                return title
    return ""


def _aeb_pages(root: Path) -> list[Page]:
    truth = json.loads((root / AEB / "ground-truth.json").read_text(encoding="utf-8"))
    pages: list[Page] = []
    for page_id in sorted(truth):
        entry = truth[page_id]
        paragraphs = tuple(
            clean(line) for line in entry["articleBody"].splitlines() if line.strip()
        )
        path = root / AEB / "html" / f"{page_id}.html.gz"
        if not path.exists() or not paragraphs:
            continue
        title = page_title(gzip.decompress(path.read_bytes()))
        pages.append(Page(page_id[:12], "aeb", entry["url"], title, paragraphs, path))
    return pages


def _expected_paragraphs(expected_html: bytes) -> tuple[str, ...]:
    root = _parse(expected_html)
    if root is None:
        return ()
    paragraphs: list[str] = []
    for element in root.iter(*BLOCK_TAGS):
        # innermost blocks only: a blockquote or li holding <p>s gives its paragraphs
        if any(True for _ in element.iterdescendants(*BLOCK_TAGS)):
            continue
        text = clean(element.text_content())
        if text:
            paragraphs.append(text)
    return tuple(paragraphs)


def _readability_pages(root: Path) -> list[Page]:
    pages: list[Page] = []
    for folder in sorted((root / READABILITY).iterdir()):
        source = folder / "source.html"
        expected = folder / "expected.html"
        if not (source.exists() and expected.exists()):
            continue
        meta_path = folder / "expected-metadata.json"
        meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.exists() else {}
        paragraphs = _expected_paragraphs(expected.read_bytes())
        if not paragraphs:
            continue
        html = source.read_bytes()
        title = clean(meta.get("title") or "") or page_title(html)
        url = _readability_url(html) or f"https://example.org/readability/{folder.name}"
        pages.append(Page(folder.name, "readability", url, title, paragraphs, source))
    return pages


def _readability_url(html: bytes) -> str | None:
    root = _parse(html)
    if root is None:
        return None
    for xpath in ("//link[@rel='canonical']/@href", "//meta[@property='og:url']/@content"):
        for value in root.xpath(xpath):
            url = str(value).strip()
            if url.startswith("http"):
                return url
    return None


_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")


def _plain(md: str) -> str:
    return _MD_LINK.sub(r"\1", md).replace("**", "").replace("`", "")


def _curated_blocks(blocks: list[dict[str, str]]) -> tuple[list[str], list[str]]:
    """One paragraph per list item and per quoted paragraph, as ``read_markdown`` reads them."""
    texts: list[str] = []
    mds: list[str] = []
    for block in blocks:
        md, text = block["md"], block["text"]
        if block["kind"] == "list":
            items = [i.strip() for i in re.split(r"\n(?=[ \t]*(?:[-*+]|\d+[.)])\s)", md)]
            item_texts = [clean(t) for t in text.splitlines() if t.strip()]
            if len(items) != len(item_texts):
                item_texts = [clean(_plain(_LIST_ITEM.sub("", item))) for item in items]
            texts += item_texts
            mds += items
            continue
        if block["kind"] == "quote":
            parts = [p for p in re.split(r"\n>\s*\n", md) if p.strip()]
            part_texts = [clean(t) for t in text.split("\n\n") if t.strip()]
            if len(parts) == len(part_texts) > 1:
                texts += part_texts
                mds += [p if p.startswith(">") else "> " + p for p in parts]
                continue
        texts.append(clean(text))
        mds.append(md)
    return texts, mds


def _curated_pages(root: Path) -> list[Page]:
    entries = json.loads((root / CURATED / "pages.json").read_text(encoding="utf-8"))
    pages: list[Page] = []
    for entry in entries:
        path = root / CURATED / "pages" / f"{entry['id']}.html.gz"
        if not path.exists() or not entry.get("blocks"):
            continue
        texts, mds = _curated_blocks(entry["blocks"])
        pages.append(
            Page(
                entry["id"],
                "curated",
                entry["url"],
                entry.get("title") or "",
                tuple(texts),
                path,
                lang=entry.get("lang") or "en",
                byline=entry.get("byline"),
                date=entry.get("date"),
                md=tuple(mds),
            )
        )
    return pages


CORPORA = ("aeb", "curated", "readability")


def load_pages(corpus: str = "all") -> list[Page]:
    """Load the pages of ``corpus`` in a fixed order.

    ``corpus`` is ``all`` or a comma-separated list of ``aeb``, ``curated`` and
    ``readability``.

    Raises:
        ValueError: ``corpus`` names a set that is none of these (a typo would
            otherwise load no pages, and a benchmark would measure nothing).
    """
    root = realdata_dir()
    wanted = CORPORA if corpus == "all" else tuple(c.strip() for c in corpus.split(","))
    unknown = [name for name in wanted if name not in CORPORA]
    if unknown:
        raise ValueError(f"unknown page set(s): {', '.join(unknown)}; known: {', '.join(CORPORA)}")
    pages: list[Page] = []
    if "aeb" in wanted:
        pages += _aeb_pages(root)
    if "curated" in wanted and (root / CURATED / "pages.json").exists():
        pages += _curated_pages(root)
    if "readability" in wanted:
        pages += _readability_pages(root)
    return pages


def page_rng(seed: int, page_id: str, purpose: str = "") -> random.Random:
    """A random generator that depends only on the seed, the page and the purpose."""
    return random.Random(f"{seed}:{page_id}:{purpose}")


# --- Markdown -------------------------------------------------------------------------

_INLINE_SPECIAL = re.compile(r"([\\`*_\[\]<>&|~!])")
_LEADING_MARK = re.compile(r"^([#>+\-=])")
_LEADING_NUMBER = re.compile(r"^(\d+)([.)])")


def escape_markdown(text: str) -> str:
    """Escape ``text`` so that CommonMark reads it back as the same plain paragraph."""
    text = _INLINE_SPECIAL.sub(r"\\\1", clean(text))
    text = _LEADING_MARK.sub(r"\\\1", text, count=1)
    return _LEADING_NUMBER.sub(r"\1\\\2", text, count=1)


def _yaml_string(value: str) -> str:
    # a JSON string is a valid YAML double-quoted scalar
    return json.dumps(value, ensure_ascii=False)


def to_markdown(
    paragraphs: list[str] | tuple[str, ...],
    *,
    url: str,
    title: str,
    md: list[str | None] | tuple[str | None, ...] = (),
    byline: str | None = None,
    date: str | None = None,
) -> str:
    """A local copy: YAML front matter (url, title, byline, date), then one paragraph per block.

    A paragraph is written as ``md[i]`` when given (Markdown as the page's export wrote
    it), else escaped so that it reads back as the same plain paragraph.
    """
    head = f"---\ntitle: {_yaml_string(title or url)}\nurl: {_yaml_string(url)}\n"
    if byline:
        head += f"byline: {_yaml_string(byline)}\n"
    if date:
        head += f"date: {_yaml_string(date)}\n"
    head += "---\n\n"
    body = [
        md[i] if i < len(md) and md[i] else escape_markdown(p) for i, p in enumerate(paragraphs)
    ]
    return head + "\n\n".join(body) + "\n"
