"""A server-rendered tile map of London: one square per local authority, coloured by ICS.

The layout follows the "London Squared" tile map (one equal square for each of the 32 boroughs and
the City of London, each in its rough geographic place). ``build_london_map()`` turns authorities into
the context that ``templates/includes/london_map.html`` draws as an SVG of links, with an HTML key::

    context["london_map"] = build_london_map(authorities, highlighted_gss_codes={"E09000012"})
    {% include "includes/london_map.html" with map=london_map %}

``authorities`` is any iterable of objects with ``gss_code``, ``name``, ``get_absolute_url()`` and
``ics.code`` / ``ics.name`` (a ``LocalAuthority`` queryset with ``select_related("ics")``, so the map
costs one query).

Accessibility, in short: every square is a link named "<label>: <authority>, <ICS name> ICS" (plus the
highlight label when highlighted), where <label> is the three-letter label printed on it, so the name
starts with the link's visible text (WCAG 2.5.3 Label in Name: "click HCK" works in voice control).
Colour is never the only cue, as each square also prints its ICS code under its label; that code is drawn
over the square but outside the link, as a key to the colour (like the fill), so it is not part of the
link's visible label, and the name says the system in full. Fills reach at least 3:1 against the white
page and label text at least 4.5:1 against its fill (``contrast_ratio()`` lets tests check this); the
focus state is GOV.UK's yellow and black. Colours are SVG presentation attributes (no style attributes,
for the Content-Security-Policy); portal.scss only adds the focus, hover, forced-colours and print states.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

# GSS code -> (column, row), 0-based from the top left, on an 8 x 7 grid.
GRID: dict[str, tuple[int, int]] = {
    "E09000010": (4, 0),  # Enfield
    "E09000015": (2, 1),  # Harrow
    "E09000003": (3, 1),  # Barnet
    "E09000014": (4, 1),  # Haringey
    "E09000031": (5, 1),  # Waltham Forest
    "E09000017": (0, 2),  # Hillingdon
    "E09000009": (1, 2),  # Ealing
    "E09000005": (2, 2),  # Brent
    "E09000007": (3, 2),  # Camden
    "E09000019": (4, 2),  # Islington
    "E09000012": (5, 2),  # Hackney
    "E09000026": (6, 2),  # Redbridge
    "E09000016": (7, 2),  # Havering
    "E09000018": (0, 3),  # Hounslow
    "E09000013": (1, 3),  # Hammersmith and Fulham
    "E09000020": (2, 3),  # Kensington and Chelsea
    "E09000033": (3, 3),  # Westminster
    "E09000001": (4, 3),  # City of London
    "E09000030": (5, 3),  # Tower Hamlets
    "E09000025": (6, 3),  # Newham
    "E09000002": (7, 3),  # Barking and Dagenham
    "E09000027": (1, 4),  # Richmond upon Thames
    "E09000032": (2, 4),  # Wandsworth
    "E09000022": (3, 4),  # Lambeth
    "E09000028": (4, 4),  # Southwark
    "E09000023": (5, 4),  # Lewisham
    "E09000011": (6, 4),  # Greenwich
    "E09000004": (7, 4),  # Bexley
    "E09000021": (2, 5),  # Kingston upon Thames
    "E09000024": (3, 5),  # Merton
    "E09000008": (4, 5),  # Croydon
    "E09000006": (5, 5),  # Bromley
    "E09000029": (3, 6),  # Sutton
}

# GSS code -> the three-letter label printed on the square; the link's accessible name starts with it.
ABBREVIATIONS: dict[str, str] = {
    "E09000001": "CTY",  # City of London
    "E09000002": "BDG",  # Barking and Dagenham
    "E09000003": "BNT",  # Barnet
    "E09000004": "BXL",  # Bexley
    "E09000005": "BRT",  # Brent
    "E09000006": "BRM",  # Bromley
    "E09000007": "CMD",  # Camden
    "E09000008": "CRY",  # Croydon
    "E09000009": "EAL",  # Ealing
    "E09000010": "ENF",  # Enfield
    "E09000011": "GRN",  # Greenwich
    "E09000012": "HCK",  # Hackney
    "E09000013": "HMS",  # Hammersmith and Fulham
    "E09000014": "HGY",  # Haringey
    "E09000015": "HRW",  # Harrow
    "E09000016": "HAV",  # Havering
    "E09000017": "HDN",  # Hillingdon
    "E09000018": "HNS",  # Hounslow
    "E09000019": "ISL",  # Islington
    "E09000020": "KNS",  # Kensington and Chelsea
    "E09000021": "KTN",  # Kingston upon Thames
    "E09000022": "LBH",  # Lambeth
    "E09000023": "LSH",  # Lewisham
    "E09000024": "MRT",  # Merton
    "E09000025": "NWM",  # Newham
    "E09000026": "RDB",  # Redbridge
    "E09000027": "RCH",  # Richmond upon Thames
    "E09000028": "SWK",  # Southwark
    "E09000029": "STN",  # Sutton
    "E09000030": "TWH",  # Tower Hamlets
    "E09000031": "WTH",  # Waltham Forest
    "E09000032": "WND",  # Wandsworth
    "E09000033": "WSM",  # Westminster
}

WHITE = "#ffffff"
BLACK = "#0b0c0c"  # GOV.UK black: text, outlines
YELLOW = "#ffdd00"  # GOV.UK yellow: the highlight marker (and, in CSS, the focus colour)

# ICS code -> fill, from the GOV.UK colour palette. Contrast (WCAG 2.x) against the white page and of
# the label colour that label_colour() picks against the fill:
#   NCL blue          #1d70b8  5.17:1 on white, white text 5.17:1
#   NEL green         #00703c  6.21:1 on white, white text 6.21:1
#   NWL purple        #4c2c92 10.08:1 on white, white text 10.08:1
#   SEL brown         #b58840  3.20:1 on white, black text 6.12:1
#   SWL turquoise     #28a197  3.17:1 on white, black text 6.19:1
# Dark and light fills alternate between neighbouring systems, and the ICS code on every square is the
# cue that does not depend on colour at all.
ICS_ORDER: tuple[str, ...] = ("NCL", "NEL", "NWL", "SEL", "SWL")
ICS_FILLS: dict[str, str] = {
    "NCL": "#1d70b8",
    "NEL": "#00703c",
    "NWL": "#4c2c92",
    "SEL": "#b58840",
    "SWL": "#28a197",
}
UNKNOWN_ICS_FILL = "#505a5f"  # GOV.UK dark grey, 7.07:1 with white text

# Squares that are not highlighted while others are: an 80% tint of the ICS colour with black text,
# and an outline in the full ICS colour, so that the square's edge still has 3:1 against the page.
MUTED_TINT = 0.8

CELL = 64  # grid pitch in SVG user units
SIZE = 56  # side of a square; the 8-unit gap leaves room for the highlight outline
PADDING = 6  # around the grid, so outlines and the focus ring are not clipped
COLUMNS = 8
ROWS = 7
# Inside a square (user units from its top left): the three-letter label (font size 19, bold) and the
# ICS code under it (font size 14), both centred; the highlight marker sits in the top right corner.
LABEL_BASELINE = 30
CODE_BASELINE = 49
MARKER_INSET = 9
MARKER_RADIUS = 5

DEFAULT_TITLE = "Map of London's 33 local authorities, coloured by integrated care system"
DEFAULT_HIGHLIGHT_LABEL = "taking part"


def relative_luminance(colour: str) -> float:
    """WCAG 2.x relative luminance of a #rrggbb colour."""
    colour = colour.lstrip("#")
    channels = [int(colour[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(first: str, second: str) -> float:
    """WCAG 2.x contrast ratio between two #rrggbb colours (1 to 21)."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def label_colour(fill: str) -> str:
    """White or GOV.UK black, whichever contrasts more with the fill."""
    return WHITE if contrast_ratio(fill, WHITE) >= contrast_ratio(fill, BLACK) else BLACK


def tint(colour: str, amount: float) -> str:
    """Mix a #rrggbb colour with white, like GOV.UK Frontend's govuk-tint() (amount 0 to 1)."""
    colour = colour.lstrip("#")
    channels = [int(colour[i : i + 2], 16) for i in (0, 2, 4)]
    return "#" + "".join(f"{round(c + (255 - c) * amount):02x}" for c in channels)


def ics_fill(code: str) -> str:
    return ICS_FILLS.get(code, UNKNOWN_ICS_FILL)


def _ics_display_name(name: str) -> str:
    """'North East London' -> 'North East London ICS', without doubling a name that already says so."""
    lowered = name.lower()
    if lowered.endswith(" ics") or lowered.endswith("integrated care system"):
        return name
    return f"{name} ICS"


def _swatch(fill: str, *, muted: bool = False, highlighted: bool = False) -> dict[str, Any]:
    """Colours for one key swatch, drawn the same way as a square on the map."""
    if muted:
        return {"fill": tint(fill, MUTED_TINT), "stroke": fill, "stroke_width": 3, "text": BLACK}
    if highlighted:
        return {"fill": fill, "stroke": BLACK, "stroke_width": 6, "text": label_colour(fill)}
    return {"fill": fill, "stroke": "none", "stroke_width": 0, "text": label_colour(fill)}


def _sample_swatch(squares: list[dict[str, Any]], *, highlighted: bool) -> dict[str, Any]:
    """The key's sample of a highlighted (or a pale) square: the colours of the first such square on
    the map, so that the sample matches what the reader sees."""
    for square in squares:
        if square["highlighted"] == highlighted and (highlighted or square["muted"]):
            return {
                "fill": square["fill"],
                "stroke": square["stroke"],
                "stroke_width": square["stroke_width"],
                "text": square["text_colour"],
            }
    return _swatch(ics_fill(ICS_ORDER[0]), muted=not highlighted, highlighted=highlighted)


def build_london_map(
    authorities: Iterable[Any],
    highlighted_gss_codes: Iterable[str] = frozenset(),
    *,
    title: str = DEFAULT_TITLE,
    highlight_label: str = DEFAULT_HIGHLIGHT_LABEL,
    map_id: str = "london-map",
) -> dict[str, Any]:
    """The template context for ``includes/london_map.html``.

    ``highlighted_gss_codes``: authorities to pick out (say, a pilot's boroughs). When any is given, those
    squares keep their full colour, get a thick black outline and a yellow marker, their links' names end in
    "(<highlight_label>)", the others are drawn pale, and the key explains both. ``map_id`` keeps ids
    unique if a page shows two maps. Authorities whose GSS code has no place on the grid are returned in
    ``unplaced`` (the template lists them as plain links under the map) rather than dropped.
    """
    highlighted_codes = frozenset(highlighted_gss_codes)
    authorities = list(authorities)
    present_codes = {authority.gss_code for authority in authorities}
    highlighting = bool(highlighted_codes & present_codes)

    squares: list[dict[str, Any]] = []
    unplaced: list[dict[str, str]] = []
    ics_names: dict[str, str] = {}
    ics_counts: Counter[str] = Counter()

    for authority in authorities:
        ics_code = authority.ics.code
        ics_names.setdefault(ics_code, authority.ics.name)
        ics_counts[ics_code] += 1
        url = authority.get_absolute_url()
        highlighted = authority.gss_code in highlighted_codes
        label = f"{authority.name}, {_ics_display_name(authority.ics.name)}"
        if highlighted:
            label = f"{label} ({highlight_label})"
        abbreviation = ABBREVIATIONS.get(authority.gss_code, authority.name[:3].upper())

        position = GRID.get(authority.gss_code)
        if position is None:
            unplaced.append({"name": authority.name, "url": url, "label": label})
            continue

        column, row = position
        x = PADDING + column * CELL
        y = PADDING + row * CELL
        colours = _swatch(ics_fill(ics_code), muted=highlighting and not highlighted, highlighted=highlighted)
        squares.append(
            {
                "gss_code": authority.gss_code,
                "name": authority.name,
                "abbreviation": abbreviation,
                "url": url,
                "ics_code": ics_code,
                "ics_name": authority.ics.name,
                # Starts with the text the square shows, for voice control (WCAG 2.5.3 Label in Name).
                "aria_label": f"{abbreviation}: {label}",
                "highlighted": highlighted,
                "muted": highlighting and not highlighted,
                "column": column,
                "row": row,
                "x": x,
                "y": y,
                "size": SIZE,
                "centre_x": x + SIZE // 2,
                "label_y": y + LABEL_BASELINE,
                "code_y": y + CODE_BASELINE,
                "marker_x": x + SIZE - MARKER_INSET,
                "marker_y": y + MARKER_INSET,
                "marker_r": MARKER_RADIUS,
                "fill": colours["fill"],
                "stroke": colours["stroke"],
                "stroke_width": colours["stroke_width"],
                "text_colour": colours["text"],
            }
        )

    # Reading and tab order follow the grid: top to bottom, then left to right.
    squares.sort(key=lambda square: (square["row"], square["column"]))
    unplaced.sort(key=lambda item: item["name"])

    legend = []
    for code in [*ICS_ORDER, *sorted(set(ics_counts) - set(ICS_ORDER))]:
        if code not in ics_counts:
            continue
        fill = ics_fill(code)
        legend.append(
            {
                "code": code,
                "name": ics_names[code],
                "display_name": _ics_display_name(ics_names[code]),
                "count": ics_counts[code],
                "swatch": _swatch(fill),
            }
        )

    highlighted_count = sum(1 for square in squares if square["highlighted"]) + sum(
        1 for item in unplaced if item["label"].endswith(f"({highlight_label})")
    )
    width = COLUMNS * CELL - (CELL - SIZE) + 2 * PADDING
    height = ROWS * CELL - (CELL - SIZE) + 2 * PADDING

    return {
        "id": map_id,
        "title": title,
        "squares": squares,
        "legend": legend,
        "highlight": {
            "active": highlighting,
            "label": highlight_label,
            "count": highlighted_count,
            # Sample swatches for the key, drawn exactly like a square of each kind on this map.
            "highlighted_swatch": _sample_swatch(squares, highlighted=True),
            "muted_swatch": _sample_swatch(squares, highlighted=False),
        },
        # The three-letter labels with the names they stand for, in alphabetical order of name.
        "abbreviations": sorted(
            ({"abbreviation": square["abbreviation"], "name": square["name"]} for square in squares),
            key=lambda item: item["name"],
        ),
        "unplaced": unplaced,
        "width": width,
        "height": height,
        "view_box": f"0 0 {width} {height}",
        "authority_count": len(squares) + len(unplaced),
    }
