"""Evidence bundles: a check and what it saw, as a signed, timestamped WACZ.

:func:`build` (``snapverify evidence``) packages a recorded check;
:func:`verify_bundle` (``snapverify verify FILE.wacz``) checks one offline.
"""

from snapverify.evidence.build import EvidenceOptions, EvidenceResult, build
from snapverify.evidence.check import BundleCheck, Part, verify_bundle

__all__ = ["BundleCheck", "EvidenceOptions", "EvidenceResult", "Part", "build", "verify_bundle"]
