"""Settings from the store's ``config.toml``, under the command line's.

Each key mirrors the command-line option of the same name (``archive``,
``timeout``, ``rate_limit``, ``allow_private_addresses``, ``allow_network``,
``max_captures``, ``link_cache_ttl``, ``check_deadline``); an option given on the
command line wins, then the environment (``SNAPVERIFY_ALLOW_PRIVATE``), then the file,
then the defaults.
"""

from __future__ import annotations

import ipaddress
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from snapverify.errors import UsageError

__all__ = ["Settings", "load_settings"]

CONFIG_NAME = "config.toml"


@dataclass(frozen=True, slots=True)
class Settings:
    """What a ``config.toml`` says (None or empty: not said)."""

    archive: tuple[str, ...] = ()
    timeout: float | None = None
    rate_limit: dict[str, str] = field(default_factory=dict)
    allow_private_addresses: bool | None = None
    allow_network: tuple[str, ...] = ()
    max_captures: int | None = None
    link_cache_ttl: float | None = None
    check_deadline: float | None = None


# The keys a config.toml may hold: the fields of Settings.
_KEYS = frozenset(f.name for f in fields(Settings))


def _strings(path: Path, key: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise UsageError(f"{path}: {key} must be a string or a list of strings")
    return tuple(value)


def _networks(path: Path, value: Any) -> tuple[str, ...]:
    networks = _strings(path, "allow_network", value)
    for network in networks:
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError as exc:
            raise UsageError(f"{path}: allow_network {network!r}: {exc}") from exc
    return networks


def load_settings(store: Path) -> Settings:
    """Read ``store/config.toml``; an absent file gives empty settings.

    Raises:
        UsageError: a file that is not valid TOML, an unknown key or a wrong type,
            naming the file.
    """
    path = store / CONFIG_NAME
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return Settings()
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"{path}: cannot read settings: {exc}") from exc
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        raise UsageError(f"{path}: unknown setting {unknown[0]!r}")
    timeout = data.get("timeout")
    if timeout is not None and (
        isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0
    ):
        raise UsageError(f"{path}: timeout must be a positive number of seconds")
    rates = data.get("rate_limit", {})
    if not isinstance(rates, dict) or not all(isinstance(v, str) for v in rates.values()):
        raise UsageError(f'{path}: rate_limit must be a table like cdx = "24/min"')
    allow = data.get("allow_private_addresses")
    if allow is not None and not isinstance(allow, bool):
        raise UsageError(f"{path}: allow_private_addresses must be true or false")
    limit = data.get("max_captures")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise UsageError(f"{path}: max_captures must be a positive whole number")
    ttl = data.get("link_cache_ttl")
    if ttl is not None and (isinstance(ttl, bool) or not isinstance(ttl, int | float) or ttl < 0):
        raise UsageError(f"{path}: link_cache_ttl must be a number of seconds (0 or more)")
    check_deadline = data.get("check_deadline")
    if check_deadline is not None and (
        isinstance(check_deadline, bool)
        or not isinstance(check_deadline, int | float)
        or not 0 < check_deadline < float("inf")
    ):
        raise UsageError(f"{path}: check_deadline must be a positive number of seconds")
    return Settings(
        archive=_strings(path, "archive", data.get("archive", [])),
        timeout=None if timeout is None else float(timeout),
        rate_limit={str(k): v for k, v in rates.items()},
        allow_private_addresses=allow,
        allow_network=_networks(path, data.get("allow_network", [])),
        max_captures=limit,
        link_cache_ttl=None if ttl is None else float(ttl),
        check_deadline=None if check_deadline is None else float(check_deadline),
    )
