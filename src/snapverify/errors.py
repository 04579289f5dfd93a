"""Errors snapverify raises, each carrying its exit code.

Hierarchy::

    SnapverifyError (exit 2)
    ├── UsageError (2)             bad options or arguments
    │   └── ReadOnlyStore (2)      a check must record, but the store cannot be written
    ├── InputError (2)             a local copy or source file that is not a document
    ├── AddressRefused (3)         a URL refused by the address policy
    ├── Unverifiable (4)           no source could be compared (includes being offline)
    │   └── FetchError (4)         a request failed (carries ``outcome`` and ``reason``)
    ├── IntegrityError (5)         stored data failed its integrity check (or is damaged)
    │   └── StorageError (5)       the store could not be written: no space left, I/O error
    └── TryLater (75)              another run holds the lock, or rate-limited
        └── RateLimited (75)       an archive answered 429; it is not used again this run

Only ``cli.py`` turns these into messages and exit codes.
"""

from __future__ import annotations

__all__ = [
    "AddressRefused",
    "FetchError",
    "InputError",
    "IntegrityError",
    "RateLimited",
    "ReadOnlyStore",
    "SnapverifyError",
    "StorageError",
    "TryLater",
    "Unverifiable",
    "UsageError",
]


class SnapverifyError(Exception):
    """Base of every snapverify error.

    Attributes:
        url: the URL or file path the error is about, when there is one.
        status: an HTTP status, when one was received.
        retry_after: seconds to wait before trying again, when known.
    """

    exit_code = 2

    def __init__(
        self,
        message: str,
        *,
        url: str | None = None,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.url = url
        self.status = status
        self.retry_after = retry_after

    def __str__(self) -> str:
        return self.message

    def describe(self) -> str:
        """The message for one line of output: with the URL or file it is about in
        front (unless the message names it already) and the wait, if one is known."""
        message = self.message
        if self.url and self.url not in message:
            message = f"{self.url}: {message}"
        if self.retry_after is not None:
            message += f" (try again in {self.retry_after:g} s)"
        return message


class UsageError(SnapverifyError):
    exit_code = 2


class InputError(SnapverifyError):
    exit_code = 2


class AddressRefused(SnapverifyError):
    exit_code = 3


class Unverifiable(SnapverifyError):
    exit_code = 4


class IntegrityError(SnapverifyError):
    exit_code = 5


class ReadOnlyStore(UsageError):
    """A command that must write to the store (a check that records) found it read-only."""


class StorageError(IntegrityError):
    """Writing to the store failed (no space left, an I/O error); nothing half-written
    remains: what was written before is untouched and temporary files are removed."""


class TryLater(SnapverifyError):
    exit_code = 75


class FetchError(Unverifiable):
    """A request that failed: no answer, a broken answer, or a redirect loop.

    Attributes:
        outcome: the outcome a source or link gets for it (an ``Outcome`` value:
            ``unreachable``, ``redirect_loop`` or ``error``).
        reason: a short machine word: ``timeout``, ``dns``, ``connect``, ``tls``,
            ``reset``, ``truncated``, ``too_large``, ``encoding``,
            ``too_many_redirects``, ``loop``, ``scheme``, ``deadline`` or ``http``.
    """

    def __init__(
        self,
        message: str,
        *,
        url: str | None = None,
        outcome: str = "unreachable",
        reason: str = "connect",
        status: int | None = None,
    ) -> None:
        super().__init__(message, url=url, status=status)
        self.outcome = outcome
        self.reason = reason


class RateLimited(TryLater):
    """An archive answered 429 and is not asked again during this run."""
