"""Reading rendered pages in tests without an HTML library: visible text, the main region, the title."""

import html
import re

SITE_SUFFIX = " \N{EN DASH} London Health Devolution Portal"


def text(fragment: str) -> str:
    """The visible text of an HTML fragment, whitespace collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def main_of(page: str) -> str:
    return page[page.index("<main") : page.index("</main>")]


def main(response) -> str:
    return main_of(response.content.decode())


def title(response) -> str:
    """The page's own title, without the site name that base.html adds."""
    full = text(re.search(r"<title>(.*?)</title>", response.content.decode(), re.S).group(1))
    assert full.endswith(SITE_SUFFIX)
    return full.removesuffix(SITE_SUFFIX)
