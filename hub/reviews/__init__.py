"""Signed review links: one proposal, decided by someone without an account."""
