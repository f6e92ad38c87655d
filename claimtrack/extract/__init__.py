"""Rule-based extraction of quantitative claims from English text.

    from claimtrack.extract import extract_claims, iter_claims, ExtractedClaim, EXTRACTOR_VERSION
"""
from .model import Dropped, ExtractedClaim

__all__ = ["EXTRACTOR_VERSION", "Dropped", "ExtractedClaim", "extract_claims", "iter_claims"]

# The engine compiles the extraction patterns: loaded on first use, so a process that needs only a
# part (the models' subject keys from `entities`, an export) does not pay for them.
_ENGINE_NAMES = {"EXTRACTOR_VERSION", "extract_claims", "iter_claims"}


def __getattr__(name: str):
    """The engine's names, imported on first use."""
    if name in _ENGINE_NAMES:
        from . import engine

        return getattr(engine, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
