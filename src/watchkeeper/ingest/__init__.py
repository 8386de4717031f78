"""Readers: AIS sources into canonical ``positions``, ``identities`` and ``rejects``."""
