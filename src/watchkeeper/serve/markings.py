"""Markings: the Traffic Light Protocol level and the partners an item is released to.

TLP 2.0 (FIRST, 2022) levels, least to most restrictive: CLEAR, GREEN, AMBER,
AMBER+STRICT, RED. ``rel_to`` lists partner codes; ``ALL`` means every partner and is only
allowed with CLEAR or GREEN, the two levels that TLP lets a recipient share in its community.

>>> m = Marking.parse("amber", ["jpn", "USA", "JPN"])
>>> m.tlp, m.rel_to
('AMBER', ('JPN', 'USA'))
>>> m.as_dict()
{'tlp': 'AMBER', 'rel_to': ['JPN', 'USA']}
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from watchkeeper.errors import ConfigError

__all__ = ["ALL", "CODE_RE", "TLP", "Marking", "check_code", "strictest"]

ALL = "ALL"
#: A partner code: 2-16 upper-case letters, digits, '-' or '_' (ISO 3166 alpha-3 fits).
CODE_RE = re.compile(r"^[A-Z0-9_-]{2,16}$")


class TLP(StrEnum):
    """Traffic Light Protocol 2.0 levels, in increasing restriction."""

    CLEAR = "CLEAR"
    GREEN = "GREEN"
    AMBER = "AMBER"
    AMBER_STRICT = "AMBER+STRICT"
    RED = "RED"


_ORDER = {t: i for i, t in enumerate(TLP)}


def check_code(code: str) -> str:
    """``code`` upper-cased if it is a valid partner code, else a :class:`ConfigError`."""
    norm = code.strip().upper()
    if not CODE_RE.match(norm):
        raise ConfigError(
            f"partner code {code!r}: expected 2-16 letters, digits, '-' or '_' (e.g. JPN)"
        )
    return norm


@dataclass(frozen=True)
class Marking:
    """A TLP level and the sorted partner codes the item is released to."""

    tlp: str
    rel_to: tuple[str, ...]

    @classmethod
    def parse(cls, tlp: str, rel_to: Iterable[str]) -> Marking:
        """Validate and normalise (upper case, sorted, unique); a bad value is a
        :class:`ConfigError` (HTTP 400)."""
        level = tlp.strip().upper().replace("_", "+")
        if level == "AMBER-STRICT":
            level = "AMBER+STRICT"
        if level not in {t.value for t in TLP}:
            raise ConfigError(f"TLP {tlp!r}: expected one of {', '.join(t.value for t in TLP)}")
        codes = tuple(sorted({check_code(c) for c in rel_to if c.strip()}))
        if not codes:
            raise ConfigError("rel_to is empty: name at least one partner code (or ALL)")
        if ALL in codes:
            if level not in (TLP.CLEAR, TLP.GREEN):
                raise ConfigError(
                    f"rel_to ALL is only allowed with TLP CLEAR or GREEN, not {level}"
                )
            codes = (ALL,)  # every partner: naming some besides adds nothing
        return cls(level, codes)

    def as_dict(self) -> dict[str, Any]:
        """The JSON form: ``{"tlp": "AMBER", "rel_to": ["JPN", "USA"]}``."""
        return {"tlp": self.tlp, "rel_to": list(self.rel_to)}


def strictest(markings: Iterable[Marking]) -> Marking:
    """The marking of something built from several items: the highest TLP and only the
    partners every item is released to (``ALL`` stands for any code)."""
    items = list(markings)
    if not items:
        raise ValueError("no markings")
    tlp = max((m.tlp for m in items), key=lambda t: _ORDER[TLP(t)])
    codes: set[str] | None = None
    for m in items:
        if ALL in m.rel_to:
            continue
        codes = set(m.rel_to) if codes is None else codes & set(m.rel_to)
    rel = (ALL,) if codes is None else tuple(sorted(codes))
    return Marking(tlp, rel)
