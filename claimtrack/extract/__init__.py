"""Rule-based extraction of quantitative claims from English text.

    from claimtrack.extract import extract_claims, iter_claims, ExtractedClaim, EXTRACTOR_VERSION
"""
from .engine import EXTRACTOR_VERSION, extract_claims, iter_claims
from .model import ExtractedClaim

__all__ = ["EXTRACTOR_VERSION", "ExtractedClaim", "extract_claims", "iter_claims"]
