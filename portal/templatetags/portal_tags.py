"""Template helpers every public page uses: partial dates in <time> elements, and glossary links."""

import datetime

from django import template
from django.utils import timezone
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString

from core.dates import DatePrecision, format_partial_date

register = template.Library()

_MACHINE_FORMAT = {DatePrecision.YEAR: "%Y", DatePrecision.MONTH: "%Y-%m", DatePrecision.DAY: "%Y-%m-%d"}


@register.simple_tag
def partial_date(value, precision: str = DatePrecision.DAY, missing: str = "Not recorded") -> SafeString:
    """``<time datetime="2016">2016</time>``: the machine-readable date is never more precise than the
    visible one (a year, 'December 2015', '15 December 2015'). A datetime (when a record last changed)
    shows as its day in London. No date: the ``missing`` text."""
    if isinstance(value, datetime.datetime):
        value = timezone.localdate(value)
    if value is None or value == "":
        return conditional_escape(missing)
    precision = precision or DatePrecision.DAY
    machine = value.strftime(_MACHINE_FORMAT[precision])
    return format_html('<time datetime="{}">{}</time>', machine, format_partial_date(value, precision))


@register.filter
def link_terms(text: str, glossary=None) -> SafeString:
    """Plain text, escaped, with each glossary term's first use on the page linked to /glossary/#<slug>.
    ``glossary`` is the page's ``GlossaryLinker`` (portal.glossary); without one the text is only escaped."""
    if not glossary:
        return conditional_escape(text)
    return glossary.link(text)
