"""snapverify: prove whether a saved copy of a web article still matches the web."""

import logging

from snapverify._version import __version__

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = ["__version__"]
