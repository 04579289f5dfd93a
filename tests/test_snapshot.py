"""Finding and reading local copies."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest

from snapverify.errors import InputError
from snapverify.snapshot import LocalCopy, find_local_copies, find_store, read_local_copy
from support import FIXTURES, ROOT, SEED, SEED_URL

RUSSIAN = (
    "Заголовок статьи\n\n"
    "Шесть человек были осуждены на прошлой неделе за организацию беспорядков "
    "16 декабря в казахском городе Жанаозен.\n"
)


def test_seed_is_read_with_its_hash_and_url() -> None:
    copy = read_local_copy(SEED)
    assert isinstance(copy, LocalCopy)
    assert copy.path == SEED
    assert copy.sha256 == hashlib.sha256(SEED.read_bytes()).hexdigest()
    assert copy.document.url == SEED_URL
    assert copy.document.title == "Kazakh Massacre Cover-Up"
    assert len(copy.document.blocks) == 13
    assert copy.ignore == ()


def test_url_argument_wins(tmp_path: Path) -> None:
    path = tmp_path / "copy.txt"
    shutil.copyfile(SEED, path)
    (tmp_path / "snapshot.toml").write_text('url = "https://toml.example/a"\n')
    assert read_local_copy(path, url="https://arg.example/a").document.url == (
        "https://arg.example/a"
    )
    assert read_local_copy(path).document.url == "https://toml.example/a"


def test_snapshot_toml_gives_url_title_and_ignore(tmp_path: Path) -> None:
    path = tmp_path / "article.md"
    path.write_text("Some Title\n\nBody text of the article.\n", encoding="utf-8")
    (tmp_path / "snapshot.toml").write_text(
        'url = "https://example.com/a"\ntitle = "Better Title"\n'
        "ignore = ['^Advertisement$', 'Read more']\n",
        encoding="utf-8",
    )
    copy = read_local_copy(path)
    assert copy.document.url == "https://example.com/a"
    assert copy.document.title == "Better Title"
    assert copy.document.title_variants == ("Some Title",)
    assert copy.ignore == ("^Advertisement$", "Read more")
    assert [block.text for block in copy.document.blocks] == ["Body text of the article."]


def test_no_url_anywhere_is_not_an_error(tmp_path: Path) -> None:
    path = tmp_path / "article.md"
    path.write_text("Some Title\n\nBody text.\n", encoding="utf-8")
    assert read_local_copy(path).document.url is None


@pytest.mark.parametrize(
    ("toml", "reason"),
    [
        ("url = \n", "not a valid snapshot.toml"),
        ("url = 3\n", "'url' must be a string"),
        ("ignore = 'x'\n", "'ignore' must be a list of strings"),
        ("ignore = ['(unclosed']\n", "is not a regular expression"),
    ],
)
def test_bad_snapshot_toml_is_an_input_error(tmp_path: Path, toml: str, reason: str) -> None:
    path = tmp_path / "article.md"
    path.write_text("Some Title\n\nBody.\n", encoding="utf-8")
    (tmp_path / "snapshot.toml").write_text(toml, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_local_copy(path)
    message = str(caught.value)
    assert message.startswith(f"{tmp_path / 'snapshot.toml'}: ")
    assert reason in message
    assert "\n" not in message


def _not_a_document(path: Path, reason: str) -> None:
    with pytest.raises(InputError) as caught:
        read_local_copy(path)
    error = caught.value
    assert error.exit_code == 2
    assert error.url == str(path)
    message = str(error)
    assert "\n" not in message
    assert message.startswith(f"{path}: ")
    assert reason in message


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"  \n\t\r\n  ", "empty"),
        (b"\xef\xbb\xbf  \n", "empty"),
        (b"Title\n\nsome text\x00\x01\x02 and more\n", "binary"),
        (bytes(range(0x80, 0x100)) * 4, "undecodable"),
        ("\x00\x00".encode("utf-16"), "binary"),
    ],
    ids=["empty", "whitespace", "bom-only", "nul", "high-bytes", "utf16-nul"],
)
def test_not_a_document(tmp_path: Path, data: bytes, reason: str) -> None:
    path = tmp_path / "copy.txt"
    path.write_bytes(data)
    _not_a_document(path, reason)


def test_missing_file(tmp_path: Path) -> None:
    _not_a_document(tmp_path / "nope.md", "not found")


def test_directory(tmp_path: Path) -> None:
    _not_a_document(tmp_path, "is a directory")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "locked.md"
    path.write_text("Text.\n")
    path.chmod(0)
    _not_a_document(path, "permission denied")


def test_path_through_a_file(tmp_path: Path) -> None:
    parent = _touch(tmp_path / "file.md")
    _not_a_document(parent / "child.md", "unreadable: Not a directory")


def test_a_damaged_warc_is_not_a_local_copy(tmp_path: Path) -> None:
    # WARC local copies are read (tests/test_warc.py); a damaged one is bad input.
    path = tmp_path / "copy.warc.gz"
    path.write_bytes(b"\x1f\x8b\x08\x00" + bytes(20))
    _not_a_document(path, "not a readable WARC")


def test_utf16_with_bom_is_read(tmp_path: Path) -> None:
    path = tmp_path / "copy.txt"
    path.write_bytes("Some Title\n\nBody text, naïve café.\n".encode("utf-16"))
    copy = read_local_copy(path)
    assert copy.document.title == "Some Title"
    assert [block.text for block in copy.document.blocks] == ["Body text, naïve café."]


def test_windows_1251_is_read(tmp_path: Path) -> None:
    path = tmp_path / "copy.txt"
    path.write_bytes(RUSSIAN.encode("cp1251"))
    copy = read_local_copy(path)
    assert copy.document.title == "Заголовок статьи"
    assert copy.document.blocks[0].text.startswith("Шесть человек были осуждены")


def test_unknown_extension_is_read_as_text(tmp_path: Path) -> None:
    path = tmp_path / "copy.article"
    path.write_text("Some Title\n\nBody.\n", encoding="utf-8")
    assert read_local_copy(path).document.title == "Some Title"


def test_html_local_copy_uses_the_extractor(tmp_path: Path) -> None:
    pytest.importorskip("snapverify.text.extract")
    path = tmp_path / "page.html"
    shutil.copyfile(FIXTURES / "capture-original.html", path)
    copy = read_local_copy(path)
    assert copy.document.url == SEED_URL  # its own canonical URL
    assert copy.document.title == "Kazakh Massacre Cover-Up"
    assert any(block.text.startswith("Six people were convicted") for block in copy.document.blocks)
    (tmp_path / "snapshot.toml").write_text('url = "https://toml.example/a"\n')
    assert read_local_copy(path).document.url == "https://toml.example/a"


def test_an_html_copy_keeps_the_links_its_export_emptied(tmp_path: Path) -> None:
    page = (FIXTURES / "capture-original.html").read_text("utf-8")
    video = "/web/20120528010203/http://www.youtube.com/watch?v=Yx5Vn0bQv2A"
    assert video in page
    path = tmp_path / "page.html"
    # windows-1251 bytes: the lost anchor's words are decoded as the page is, not as UTF-8.
    page = page.replace(f'href="{video}"', 'href="#"').replace("Video footage", "Видео")
    path.write_bytes(page.replace("<head>", '<head><meta charset="windows-1251">').encode("cp1251"))
    links = read_local_copy(path).document.links
    assert [link.text for link in links if link.lost] == ["Видео"]
    assert all(link.url for link in links if not link.lost)


def _touch(path: Path, text: str = "Title\n\nText.\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_find_local_copies_in_a_tree(tmp_path: Path) -> None:
    a = _touch(tmp_path / "a-snapshot" / "copy.md")
    b = _touch(tmp_path / "b-snapshot" / "page.html")
    c = _touch(tmp_path / "group" / "c-snapshot" / "copy.txt")
    _touch(tmp_path / "a-snapshot" / "snapshot.toml", 'url = "https://x.example/"\n')
    _touch(tmp_path / "a-snapshot" / "archive" / "export.md")
    _touch(tmp_path / "a-snapshot" / "archive" / "run" / "page.html")
    _touch(tmp_path / ".snapverify" / "cache" / "x.html")
    _touch(tmp_path / ".hidden" / "copy.md")
    _touch(tmp_path / "b-snapshot" / ".draft.md")
    _touch(tmp_path / "README.md")
    _touch(tmp_path / "b-snapshot" / "readme.txt")
    _touch(tmp_path / "b-snapshot" / "image.png")
    assert find_local_copies([tmp_path]) == [a, b, c]


def test_find_local_copies_files_are_themselves_sorted_once(tmp_path: Path) -> None:
    readme = _touch(tmp_path / "README.md")
    copy = _touch(tmp_path / "s" / "copy.md")
    missing = tmp_path / "missing.md"
    found = find_local_copies([copy, readme, missing, tmp_path / "s", copy])
    assert found == sorted([copy, readme, missing])


def test_find_local_copies_of_the_project_snapshots() -> None:
    assert find_local_copies([ROOT / "snapshots"]) == [SEED]


def test_find_store_nearest_ancestor(tmp_path: Path) -> None:
    root = tmp_path / "work"  # below HOME (the test's tmp_path), whose store is not shared
    (root / ".snapverify").mkdir(parents=True)
    copy = _touch(root / "group" / "snap" / "copy.md")
    assert find_store(copy) == root / ".snapverify"
    (root / "group" / ".snapverify").mkdir()
    assert find_store(copy) == root / "group" / ".snapverify"
    assert find_store(copy.parent) == root / "group" / ".snapverify"


def test_find_store_default_is_the_snapshot_folder(tmp_path: Path) -> None:
    copy = _touch(tmp_path / "snap" / "copy.md")
    store = find_store(copy)
    assert store == tmp_path / "snap" / ".snapverify"
    assert not store.exists()  # nothing is created


def test_find_store_of_the_project_snapshots() -> None:
    assert find_store(SEED) == ROOT / "snapshots" / ".snapverify"
