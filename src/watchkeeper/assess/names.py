"""Vessel-name normalisation and comparison.

Names in AIS are typed by crews into 20 six-bit characters; names on sanctions lists are
typed by analysts. The same hull shows up as ``M/T YU JONG NO.2``, ``YU JONG 2`` and
``YUJONG II``. :func:`normalise_name` maps all three to ``YU JONG 2``; :func:`name_key`
drops the spaces as well (``YUJONG2``) so that split or joined romanisations compare equal.

Numbers are not decoration: ``YU JONG 1`` and ``YU JONG 2`` are sister ships, different
hulls. :func:`name_similarity` therefore refuses a pair whose numbers differ.

>>> normalise_name("M/T Yu Jong No.2")
'YU JONG 2'
>>> normalise_name("m.v. Ocean-Star II")
'OCEAN STAR 2'
>>> name_similarity("YU JONG 2", "YUJONG II")
1.0
>>> name_similarity("YU JONG 1", "YU JONG 2")
0.0
"""

from __future__ import annotations

import functools
import re
import unicodedata

from rapidfuzz.distance import Indel

__all__ = ["name_key", "name_numbers", "name_similarity", "normalise_name"]

# Hull-type prefixes: motor tanker/vessel/ship/yacht, steam ship, fishing vessel, tug.
_PREFIX = re.compile(
    r"^(?:M\s*[/.]?\s*[TVSY]|S\s*[/.]?\s*S|F\s*[/.]?\s*V|T\s*[/.]?\s*B)\.?\s+(?=\S)"
)
_NUMBER_SIGN = re.compile(r"\b(?:NO|NR|NUM)\s*\.?\s*(?=\d)|#\s*(?=\d)")
_NON_ALNUM = re.compile(r"[^A-Z0-9]+")
_LETTER_DIGIT = re.compile(r"(?<=[A-Z])(?=\d)|(?<=\d)(?=[A-Z])")
_ROMANS = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X")
_ROMAN = {r: str(i + 1) for i, r in enumerate(_ROMANS + tuple("X" + r for r in _ROMANS))}


def _ascii_upper(text: str) -> str:
    if text.isascii():
        return text.upper()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).upper()


def _token(tok: str, *, leading_word: bool) -> str:
    if tok.isdigit():
        return str(int(tok))
    if leading_word:  # 'I AM', 'V STAR': a leading roman letter is a word, not a number
        return tok
    return _ROMAN.get(tok, tok)


@functools.lru_cache(maxsize=1 << 18)
def normalise_name(name: str | None) -> str:
    """Canonical form of a vessel name: upper ASCII, no hull prefix, no 'NO.', arabic numbers.

    Cached: screening normalises the same few names many times.
    """
    if not name:
        return ""
    text = _ascii_upper(name).strip()
    text = _PREFIX.sub("", text)
    text = _NUMBER_SIGN.sub(" ", text)
    text = _NON_ALNUM.sub(" ", text)
    text = _LETTER_DIGIT.sub(" ", text)
    raw = text.split()
    return " ".join(_token(t, leading_word=i == 0 and len(raw) > 1) for i, t in enumerate(raw))


def name_key(normalised: str) -> str:
    """The blocking/comparison key of a normalised name: no spaces."""
    return normalised.replace(" ", "")


def name_numbers(normalised: str) -> frozenset[str]:
    """The numeric tokens of a normalised name."""
    return frozenset(t for t in normalised.split() if t.isdigit())


def name_similarity(a: str, b: str) -> float:
    """Similarity 0..1 of two names (raw or normalised); 0 when their numbers differ.

    Normalised Indel similarity of the space-free keys, the measure ``rapidfuzz.fuzz.ratio``
    uses, so that a bulk screen with ``rapidfuzz.process.cdist`` scores pairs identically.
    """
    na, nb = normalise_name(a), normalise_name(b)
    if not na or not nb or name_numbers(na) != name_numbers(nb):
        return 0.0
    return round(float(Indel.normalized_similarity(name_key(na), name_key(nb))), 4)
