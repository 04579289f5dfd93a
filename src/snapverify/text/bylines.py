"""Bylines: whether a line names people, and which names it gives.

A byline is one or more names ("Stella Kim and Jennifer Jett", ``Amanda "Tania Mae"
Tan``, "Alexandre Hervaud, Jérémy Piette"), perhaps with a role ("Staff Writer") or
the publication after a comma. It is never a date ("Updated 3 May"), a desk or a
team alone ("Staff", "Politics desk", "National Desk"), nor a sentence (a teaser
that sits in an element whose class says ``author``).
"""

from __future__ import annotations

import re
import unicodedata

from snapverify.text.dates import parse_date_line
from snapverify.text.normalise import word_keys

__all__ = ["byline_names", "person_byline"]

_BY_PREFIX = re.compile(r"^\s*(?:by|von|par|por|di|door|av)\s*:?\s+", re.IGNORECASE)
# Words that join names, in the languages whose dates the project reads and a few more.
_CONNECTORS = frozenset(
    re.findall(r"\S+", "and und et y e i og och en ja és и і та with mit avec con")
)
# Lower-case particles inside names: "Ludwig van Beethoven", "Alejandro de la Garza".
_PARTICLES = frozenset(
    re.findall(
        r"\S+",
        "al bin binti da das de del della der des di do dos du el ibn la le lo san st"
        " te ten ter van von zu",
    )
)
# Roles, desks and teams: with no name beside them, a line of these names nobody.
_ROLES = frozenset(
    re.findall(
        r"\S+",
        """
        staff writer writers reporter reporters correspondent correspondents editor
        editors editorial desk desks team newsroom contributor contributors columnist
        columnists senior chief associate deputy special guest our the news wire wires
        agency agencies service services bureau board press report reports politics
        political national international world business sport sports science tech
        technology health culture opinion local metro city weather investigations
        investigative data graphics photo photos photographer video social media online
        web digital content partner partners sponsored published updated posted by
        redaktion rédaction redacción redazione
        """,
    )
)
_NOT_NAMES = _CONNECTORS | _PARTICLES | _ROLES
_DIGIT = re.compile(r"\d")
_MAX_WORDS = 16


def _fold(key: str) -> str:
    """A name's key without accents: "Jérémy" and "Jeremy" are one name."""
    decomposed = unicodedata.normalize("NFKD", key)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def byline_names(text: str) -> frozenset[str]:
    """The name words of a byline, accents, connectors, roles and desks left out.

    Empty when the line names nobody: a desk, a role, a date.
    """
    if _DIGIT.search(text):
        return frozenset()
    return frozenset(
        _fold(key)
        for key in word_keys(_BY_PREFIX.sub("", text))
        if key not in _CONNECTORS and key not in _ROLES and key not in _PARTICLES
    )


def person_byline(text: str | None) -> str | None:
    """``text`` without a leading "By", when it names people; else ``None``.

    Refused: dates and anything holding a digit, a desk or role alone, more than
    16 words, and sentences (a word in lower case that is neither a name particle
    nor a connector, in scripts that have case).
    """
    if not text:
        return None
    text = " ".join(_BY_PREFIX.sub("", text).split()).strip(" ,;|·•-–—")
    if not text or _DIGIT.search(text) or parse_date_line(text) is not None:
        return None
    words = text.split()
    names = byline_names(text)
    if len(words) > _MAX_WORDS or all(len(name) == 1 and name.isascii() for name in names):
        return None  # no name at all, or initials alone (an avatar's "J J")
    for word in words:
        letter = next((c for c in word if c.isalpha()), "")
        if letter.islower() and word.strip("\"'“”‘’,.()").lower() not in _NOT_NAMES:
            return None  # prose, not a name
    return text
