"""Rule-based extraction of quantitative claims from English text.

    from claimtrack.extract import extract_claims, iter_claims, ExtractedClaim, EXTRACTOR_VERSION
"""
from .engine import EXTRACTOR_VERSION, extract_claims, iter_claims
from .model import Dropped, ExtractedClaim

__all__ = ["EXTRACTOR_VERSION", "Dropped", "ExtractedClaim", "extract_claims", "iter_claims"]
