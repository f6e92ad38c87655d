"""Claimtrack's claim pipeline: reading documents, extracting claims, conflicts, export. No Flask here."""
