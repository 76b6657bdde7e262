"""Forgiving comparison of what people type with the names of things: the borough finder and the site
search's fuzzy fallback both use it, so "lewisam", "Kingston" and "Barking & Dagenham" mean the same
wherever they are typed."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import TypeVar

K = TypeVar("K")

# Words that official names carry but people leave out ("Royal Borough of", "upon Thames").
FILLER = re.compile(r"\b(?:london borough of|royal borough of|borough of|upon thames|council)\b")
# Close enough to be the same name with a small typo: "lewisam" to "lewisham" is 0.93, "hackny" 0.92.
CLOSE_MATCH = 0.8


def normalise(text: str) -> str:
    """Lower case, no accents or punctuation, "&" as "and", the filler words dropped, single spaces."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    text = FILLER.sub(" ", text.replace("&", " and "))
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


def close_matches(query: str, names: Mapping[K, str], *, cutoff: float = CLOSE_MATCH) -> list[K]:
    """The keys of ``names`` whose name, or one of its words, is within a small typo of ``query``,
    closest first (difflib's ratio, on normalised text)."""
    wanted = normalise(query)
    if not wanted:
        return []
    scores: dict[K, float] = {}
    for key, name in names.items():
        candidates = _variants(normalise(name), len(wanted.split()))
        matcher = difflib.SequenceMatcher(a=wanted)
        best = 0.0
        for candidate in candidates:
            matcher.set_seq2(candidate)
            if matcher.real_quick_ratio() >= cutoff and matcher.quick_ratio() >= cutoff:
                best = max(best, matcher.ratio())
        if best >= cutoff:
            scores[key] = best
    return sorted(scores, key=lambda key: -scores[key])


def _variants(name: str, width: int) -> Iterable[str]:
    """The whole name and each run of ``width`` consecutive words in it ("lewisham", "kingston")."""
    words = name.split()
    yield name
    for start in range(len(words) - width + 1):
        yield " ".join(words[start : start + width])
