"""Linking a glossary term's first use on a page to its definition at /glossary/#<slug>."""

from __future__ import annotations

import re
from functools import cached_property

from django.urls import reverse
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe

from sources.models import GlossaryTerm


def _names(term: GlossaryTerm) -> list[tuple[str, bool]]:
    """What a page may call the term: its name without any bracketed part (any case) and its
    abbreviation (as written), e.g. 'Integrated care board' and 'ICB'."""
    names = [(re.sub(r"\s*\(.*?\)", "", term.term).strip(), False)]
    if term.abbreviation:
        names.append((term.abbreviation, True))
    return [(name, exact) for name, exact in names if name]


class GlossaryLinker:
    """One per page: it remembers which terms it has linked, so only each term's first use is a link.
    The published terms are read once, on first use."""

    def __init__(self) -> None:
        self.linked: set[str] = set()

    @cached_property
    def _pattern(self) -> tuple[re.Pattern | None, dict[str, str]]:
        slugs: dict[str, str] = {}
        parts = []
        for term in GlossaryTerm.objects.public().order_by("slug"):
            for name, exact in _names(term):
                slugs[name if exact else name.lower()] = term.slug
                # Whole words, an optional plural 's'; abbreviations match only as written.
                parts.append((len(name), rf"{'' if exact else '(?i:'}\b{re.escape(name)}s?\b{'' if exact else ')'}"))
        if not parts:
            return None, slugs
        # Longest names first, so 'Integrated care board' wins over a shorter name inside it.
        return re.compile("|".join(part for _, part in sorted(parts, reverse=True))), slugs

    def _slug_for(self, text: str, slugs: dict[str, str]) -> str | None:
        for candidate in (text, text[:-1]):
            if candidate in slugs:
                return slugs[candidate]
            if candidate.lower() in slugs:
                return slugs[candidate.lower()]
        return None

    def link(self, text: str) -> SafeString:
        """The text, escaped, with each term's first use on the page linked to the glossary."""
        pattern, slugs = self._pattern
        if pattern is None or isinstance(text, SafeString):
            return conditional_escape(text)
        url = reverse("portal:glossary")
        pieces, position = [], 0
        for match in pattern.finditer(text):
            slug = self._slug_for(match.group(0), slugs)
            if slug is None or slug in self.linked:
                continue
            self.linked.add(slug)
            pieces.append(conditional_escape(text[position : match.start()]))
            pieces.append(format_html('<a class="govuk-link" href="{}#{}">{}</a>', url, slug, match.group(0)))
            position = match.end()
        pieces.append(conditional_escape(text[position:]))
        return mark_safe("".join(str(piece) for piece in pieces))  # every piece is escaped above
