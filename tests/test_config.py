"""config.toml: settings under the command line, bad files named in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from snapverify.config import Settings, load_settings
from snapverify.errors import UsageError
from support import ROOT


def test_the_shipped_config_is_all_defaults() -> None:
    assert load_settings(ROOT / "snapshots" / ".snapverify") == Settings()


def test_an_absent_file_gives_empty_settings(tmp_path: Path) -> None:
    assert load_settings(tmp_path) == Settings()


def test_settings_are_read(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text(
        'archive = ["wayback", "http://127.0.0.1:8080/coll"]\n'
        "timeout = 12\n"
        "allow_private_addresses = true\n"
        'allow_network = "10.8.0.0/16"\n'
        "max_captures = 5\n"
        "link_cache_ttl = 60\n"
        '[rate_limit]\ncdx = "10/min"\n',
        "utf-8",
    )
    settings = load_settings(tmp_path)
    assert settings.archive == ("wayback", "http://127.0.0.1:8080/coll")
    assert settings.timeout == 12.0
    assert settings.allow_private_addresses is True
    assert settings.allow_network == ("10.8.0.0/16",)
    assert settings.max_captures == 5
    assert settings.link_cache_ttl == 60.0
    assert settings.rate_limit == {"cdx": "10/min"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("archive = [", "cannot read settings"),
        ("archives = []", "unknown setting 'archives'"),
        ("timeout = -1", "timeout must be a positive"),
        ("timeout = true", "timeout must be a positive"),
        ("archive = [1]", "archive must be a string"),
        ("rate_limit = 5", "rate_limit must be a table"),
        ("allow_private_addresses = 'yes'", "must be true or false"),
        ("max_captures = 0", "max_captures must be a positive"),
        ("allow_network = 'banana'", "allow_network 'banana'"),
        ("allow_network = ['10.0.0.0/8', '10.0.0.0/33']", "allow_network '10.0.0.0/33'"),
        ("link_cache_ttl = -1", "link_cache_ttl must be a number"),
    ],
)
def test_bad_settings_name_the_file(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "config.toml").write_text(text, "utf-8")
    with pytest.raises(UsageError, match=message) as caught:
        load_settings(tmp_path)
    assert str(tmp_path / "config.toml") in str(caught.value)
    assert "\n" not in str(caught.value)
