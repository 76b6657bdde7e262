"""The open datasets, each defined once: its rows (a selector and the FilterSet of the matching HTML
list) and its columns (name, Table Schema type, description, example, and where the value comes from).

The CSV writer, the JSON view, the data dictionary on /data/ and datapackage.json are all generated
from these definitions, so a column documented here is exactly the column exported.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.db import models
from django.db.models import F, QuerySet
from django.db.models.functions import Coalesce

from boroughs import selectors as borough_selectors
from boroughs.filters import LocalAuthorityFilter, PlacePartnershipFilter
from boroughs.models import (
    ICB_GSS,
    ICB_ODS,
    ICS_CODE,
    LOCAL_AUTHORITY_GSS,
    IntegratedCareSystem,
    LocalAuthority,
    PlacePartnership,
)
from core.dates import DatePrecision
from core.filters import PortalFilterSet
from core.models import public_condition
from pilots import selectors as pilot_selectors
from pilots.filters import PilotFilter, PilotParticipantFilter, PilotUpdateFilter, TimelineEventFilter, TimelineFilter
from pilots.models import Pilot, PilotParticipant, PilotUpdate, TimelineEntry, TimelineEvent
from sources import selectors as source_selectors
from sources.filters import KeyFigureFilter, SourceFilter
from sources.models import GlossaryTerm, KeyFigure, Source

from . import expressions

# Table Schema types used by the columns (https://specs.frictionlessdata.io/table-schema/#types-and-formats).
STRING, DATE, NUMBER, INTEGER, BOOLEAN = "string", "date", "number", "integer", "boolean"

# A function of the point in time (an aware datetime) giving a database expression over the
# dataset's historical table; or of nothing, giving an expression over the live table.
HistoricalExpression = Callable[[datetime.datetime], models.Expression]
LiveExpression = Callable[[], models.Expression]


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    description: str
    example: str
    path: str = ""  # ORM path from the dataset's model, e.g. "ics__code"; defaults to ``name``
    live: LiveExpression | None = None  # a database expression instead of ``path`` (live rows)
    historical: HistoricalExpression | None = None  # the same for ``?as_of=`` (historical rows)
    enum: tuple[str, ...] = ()
    pattern: str = ""
    required: bool = False
    sorted_list: bool = False  # a ";"-separated list whose order the database may not keep

    @property
    def source_path(self) -> str:
        return self.path or self.name

    @property
    def is_text(self) -> bool:
        return self.type == STRING

    def schema(self) -> dict:
        """The Table Schema field descriptor."""
        descriptor = {"name": self.name, "type": self.type, "description": self.description, "example": self.example}
        if self.type == DATE:
            descriptor["format"] = "default"
        constraints = {}
        if self.required:
            constraints["required"] = True
        if self.enum:
            constraints["enum"] = list(self.enum)
        if self.pattern:
            constraints["pattern"] = self.pattern.removeprefix("^").removesuffix("$")
        if constraints:
            descriptor["constraints"] = constraints
        return descriptor


@dataclass(frozen=True)
class ForeignKey:
    fields: tuple[str, ...]
    resource: str
    reference_fields: tuple[str, ...]

    def schema(self) -> dict:
        return {
            "fields": list(self.fields),
            "reference": {"resource": self.resource, "fields": list(self.reference_fields)},
        }


@dataclass(frozen=True)
class Dataset:
    name: str
    title: str
    description: str
    model: type[models.Model]
    selector: Callable[[], QuerySet]
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    filterset: type[PortalFilterSet] | None = None
    foreign_keys: tuple[ForeignKey, ...] = ()
    html_list: str = ""  # the public HTML page listing the same rows (through ``query.build_rows``), if any
    # A dataset put together from other records' tables has no history of its own: why ``?as_of=`` is
    # refused, and the models whose history says when it last changed.
    no_as_of_reason: str = ""
    changed_with: tuple[type[models.Model], ...] = ()
    # The names of the datasets whose rows together are exactly this one's (so its size is their sum,
    # and the hub does not count a million rows twice).
    rows_of: tuple[str, ...] = ()

    @property
    def history_models(self) -> tuple[type[models.Model], ...]:
        return self.changed_with or (self.model,)

    @property
    def column_names(self) -> list[str]:
        return [column.name for column in self.columns]

    def table_schema(self) -> dict:
        schema = {"fields": [column.schema() for column in self.columns], "missingValues": [""]}
        schema["primaryKey"] = list(self.primary_key)
        if self.foreign_keys:
            schema["foreignKeys"] = [key.schema() for key in self.foreign_keys]
        return schema


def _choices(choices) -> tuple[str, ...]:
    return tuple(value for value, _label in choices)


def _updates_in_timeline_order() -> QuerySet[PilotUpdate]:
    """Published updates in the order /timeline/ shows them (``pilots.selectors.timeline_entries``):
    oldest first, undated ones last, then by id. This order also suits the index on
    (publication_status, happened_on, id) for large exports."""
    return pilot_selectors.published_updates().order_by(F("happened_on").asc(nulls_last=True), "id")


PRECISIONS = _choices(DatePrecision.choices)
STATUSES = _choices(Pilot.Status.choices)


def _precision(date_column: str, what: str) -> Column:
    return Column(
        f"{date_column}_precision",
        STRING,
        f"How much of {date_column} the source gives: day, month or year (a month is stored as its 1st, a year as "
        f"1 January). Empty when {what} is not known.",
        "month",
        enum=PRECISIONS,
    )


def _source_slugs(model: type[models.Model], what: str) -> Column:
    return Column(
        "source_slugs",
        STRING,
        f"The published sources {what}, as their slugs (see the sources dataset) separated by ';', in alphabetical "
        "order.",
        "2015-12-15-road-test-health-care-models;oneill-2016-healthcare-collaboration",
        live=lambda: expressions.source_slugs(model),
        historical=lambda moment: expressions.historical_source_slugs(model, moment),
        sorted_list=True,
    )


BOROUGHS = Dataset(
    name="boroughs",
    title="London local authorities",
    description="The 32 London boroughs and the City of London, with their ONS GSS codes, integrated care system "
    "and place partnership.",
    model=LocalAuthority,
    selector=borough_selectors.authority_list,
    filterset=LocalAuthorityFilter,
    html_list="/boroughs/",
    columns=(
        Column(
            "gss_code",
            STRING,
            "ONS Government Statistical Service code of the authority.",
            "E09000012",
            required=True,
            pattern=LOCAL_AUTHORITY_GSS,
        ),
        Column("name", STRING, "Name of the authority.", "Hackney", required=True),
        Column("slug", STRING, "The authority's identifier in the portal's web addresses.", "hackney", required=True),
        Column(
            "kind",
            STRING,
            "london_borough, or city_of_london for the City of London (a sui generis authority).",
            "london_borough",
            required=True,
            enum=_choices(LocalAuthority.Kind.choices),
        ),
        Column(
            "ics_code",
            STRING,
            "Code of the integrated care system the authority belongs to (see integrated-care-systems).",
            "NEL",
            path="ics__code",
            required=True,
            pattern=ICS_CODE,
        ),
        Column("ics_name", STRING, "Name of that integrated care system.", "North East London", path="ics__name"),
        Column(
            "place_partnership_slug",
            STRING,
            "Slug of the authority's place partnership (see place-partnerships).",
            "city-and-hackney",
            path="place_partnership__slug",
            required=True,
        ),
        Column(
            "place_partnership_name",
            STRING,
            "Name of that place partnership.",
            "City and Hackney place partnership",
            path="place_partnership__name",
        ),
        Column("description", STRING, "Plain-text notes for residents; may be empty.", ""),
    ),
    primary_key=("gss_code",),
    foreign_keys=(
        ForeignKey(("ics_code",), "integrated-care-systems", ("code",)),
        ForeignKey(("place_partnership_slug",), "place-partnerships", ("slug",)),
    ),
)

INTEGRATED_CARE_SYSTEMS = Dataset(
    name="integrated-care-systems",
    title="London integrated care systems",
    description="London's five integrated care systems (since 1 July 2022) and their integrated care boards, with "
    "NHS ODS and ONS GSS codes.",
    model=IntegratedCareSystem,
    selector=borough_selectors.ics_list,
    html_list="/ics/",
    columns=(
        Column("code", STRING, "The portal's short code for the ICS.", "NCL", required=True, pattern=ICS_CODE),
        Column("name", STRING, "Name of the integrated care system.", "North Central London", required=True),
        Column(
            "icb_name",
            STRING,
            "Name of its integrated care board (ICB).",
            "NHS North Central London Integrated Care Board",
            required=True,
        ),
        Column("icb_ods_code", STRING, "NHS ODS code of the ICB.", "QMJ", required=True, pattern=ICB_ODS),
        Column("icb_gss_code", STRING, "ONS GSS code of the ICB.", "E54000028", required=True, pattern=ICB_GSS),
        Column("icb_established_on", DATE, "When the ICB was established (ISO 8601).", "2022-07-01"),
        Column(
            "earlier_partnership_name",
            STRING,
            "The partnership that came before the ICS, if recorded.",
            "North London Partners in Health and Care",
        ),
        Column("description", STRING, "Plain-text notes for residents; may be empty.", ""),
    ),
    primary_key=("code",),
)

PLACE_PARTNERSHIPS = Dataset(
    name="place-partnerships",
    title="London place partnerships",
    description="Borough-level ('place') partnerships of council, NHS, primary care and voluntary sector inside "
    "each integrated care system.",
    model=PlacePartnership,
    selector=borough_selectors.place_list,
    filterset=PlacePartnershipFilter,
    html_list="/places/",
    columns=(
        Column("slug", STRING, "The partnership's identifier.", "city-and-hackney", required=True),
        Column("name", STRING, "Name of the partnership.", "City and Hackney place partnership", required=True),
        Column(
            "ics_code",
            STRING,
            "Code of its integrated care system.",
            "NEL",
            path="ics__code",
            required=True,
            pattern=ICS_CODE,
        ),
        Column("ics_name", STRING, "Name of its integrated care system.", "North East London", path="ics__name"),
        Column("description", STRING, "Plain-text notes for residents; may be empty.", ""),
    ),
    primary_key=("slug",),
    foreign_keys=(ForeignKey(("ics_code",), "integrated-care-systems", ("code",)),),
)

PILOTS = Dataset(
    name="pilots",
    title="London health and care devolution pilots",
    description="The devolution pilots announced in December 2015, with theme, status and announcement date.",
    model=Pilot,
    selector=pilot_selectors.published_pilots,
    filterset=PilotFilter,
    html_list="/pilots/",
    columns=(
        Column("slug", STRING, "The pilot's identifier.", "hackney-health-and-social-care-integration", required=True),
        Column("title", STRING, "Title of the pilot.", "Hackney: fully joining up health and social care"),
        Column(
            "theme",
            STRING,
            "integration, estates, prevention or accountable_care.",
            "integration",
            enum=_choices(Pilot.Theme.choices),
        ),
        Column(
            "status",
            STRING,
            "The latest status a source supports, on the word of status_source_slug as of status_as_of. "
            "announced: a source reports the pilot's announcement and none reports work on it yet; under_way: a "
            "source reports work on it continuing; completed: a source says it finished; discontinued: a source "
            "says it stopped. The shipped data uses announced and under_way only, because no source says a pilot "
            "finished or stopped.",
            "under_way",
            enum=STATUSES,
        ),
        Column(
            "status_as_of",
            DATE,
            "The date of the latest evidence for the status (ISO 8601); read with status_as_of_precision.",
            "2024-01-10",
        ),
        _precision("status_as_of", "the date of the evidence"),
        Column(
            "status_source_slug",
            STRING,
            "The published source whose word the status rests on (see sources); empty if none is recorded.",
            "hackney-health-scrutiny-2024-01-10",
            live=lambda: expressions.slug_if_public("status_source"),
            historical=lambda moment: expressions.slug_if_public("status_source", moment, Pilot),
        ),
        Column(
            "status_evidence",
            STRING,
            "What that source says about where the pilot stands, in plain words.",
            "The full pooling of budgets planned for 2017-18 was paused ...",
        ),
        Column(
            "announced_on",
            DATE,
            "When the pilot was announced (ISO 8601); read with announced_on_precision.",
            "2015-12-15",
        ),
        _precision("announced_on", "the date"),
        Column("summary", STRING, "Two or three plain sentences about the pilot.", "Hackney's pilot set out to ..."),
        Column("aims", STRING, "The pilot's aims, one per line, each stated by a source.", "Combine health and ..."),
        _source_slugs(Pilot, "the pilot's entry draws on"),
    ),
    primary_key=("slug",),
    foreign_keys=(ForeignKey(("status_source_slug",), "sources", ("slug",)),),
)

PILOT_PARTICIPANTS = Dataset(
    name="pilot-participants",
    title="Authorities taking part in the devolution pilots",
    description="One row per pilot and participating local authority.",
    model=PilotParticipant,
    selector=pilot_selectors.published_participants,
    filterset=PilotParticipantFilter,
    columns=(
        Column(
            "pilot_slug",
            STRING,
            "The pilot (see pilots).",
            "north-central-london-estates",
            path="pilot__slug",
            required=True,
        ),
        Column(
            "gss_code",
            STRING,
            "ONS GSS code of the participating authority (see boroughs).",
            "E09000007",
            path="authority__gss_code",
            required=True,
            pattern=LOCAL_AUTHORITY_GSS,
        ),
        Column(
            "authority_slug",
            STRING,
            "The authority's identifier in the portal's web addresses, as the borough= filter takes it.",
            "camden",
            path="authority__slug",
            required=True,
        ),
        Column("authority_name", STRING, "Name of the authority.", "Camden", path="authority__name"),
        Column("role", STRING, "The authority's role, only where a source states it.", ""),
    ),
    primary_key=("pilot_slug", "gss_code"),
    foreign_keys=(
        ForeignKey(("pilot_slug",), "pilots", ("slug",)),
        ForeignKey(("gss_code",), "boroughs", ("gss_code",)),
    ),
)

PILOT_UPDATES = Dataset(
    name="pilot-updates",
    title="Devolution pilot updates",
    description="What happened to each pilot and when, as precisely as the sources allow, with the pilot's status "
    "afterwards.",
    model=PilotUpdate,
    selector=_updates_in_timeline_order,
    filterset=PilotUpdateFilter,
    columns=(
        Column(
            "pilot_slug",
            STRING,
            "The pilot (see pilots).",
            "hackney-health-and-social-care-integration",
            path="pilot__slug",
            required=True,
        ),
        Column("slug", STRING, "The update's identifier, unique within its pilot.", "announced", required=True),
        Column(
            "happened_on",
            DATE,
            "When it happened (ISO 8601); read with happened_on_precision. Empty if no source gives a date.",
            "2015-12-15",
        ),
        _precision("happened_on", "the date"),
        Column("title", STRING, "What happened, in a line.", "Pilot announced by the Chancellor and the Health ..."),
        Column("body", STRING, "What happened, in a few plain sentences.", "George Osborne and Jeremy Hunt named ..."),
        Column(
            "status_after",
            STRING,
            "The pilot's status after this update, if it sets or changes it; otherwise empty.",
            "announced",
            enum=STATUSES,
        ),
        Column("quotation", STRING, "A short exact quotation from the source, if any.", ""),
        Column("quotation_by", STRING, "Who said the quotation.", ""),
        _source_slugs(PilotUpdate, "that report the update"),
    ),
    primary_key=("pilot_slug", "slug"),
    foreign_keys=(ForeignKey(("pilot_slug",), "pilots", ("slug",)),),
)

SOURCES = Dataset(
    name="sources",
    title="Sources",
    description="The published texts and reference lists every fact on the portal cites.",
    model=Source,
    selector=source_selectors.published_sources,
    filterset=SourceFilter,
    html_list="/sources/",
    columns=(
        Column(
            "slug", STRING, "The source's stable identifier.", "2015-12-15-road-test-health-care-models", required=True
        ),
        Column("title", STRING, "Title exactly as the source gives it.", "London boroughs to road test new health ..."),
        Column(
            "kind",
            STRING,
            "news_report, blog_post, opinion_article, agreement, report or reference_list.",
            "news_report",
            enum=_choices(Source.Kind.choices),
        ),
        Column("author", STRING, "Author, if the source names one.", "Teresa O'Neill"),
        Column("author_role", STRING, "The author's role as the source states it.", ""),
        Column("publisher", STRING, "Publisher, if known.", "London Councils"),
        Column(
            "published_on",
            DATE,
            "Publication date (ISO 8601); read with published_on_precision. Empty if undated.",
            "2015-12-15",
        ),
        _precision("published_on", "the source is undated"),
        Column("url", STRING, "Web address of the source (http or https), if any.", ""),
        Column("summary", STRING, "What the source covers.", ""),
    ),
    primary_key=("slug",),
)

TIMELINE_EVENTS = Dataset(
    name="timeline-events",
    title="London health and care devolution timeline",
    description="London-wide milestones, such as the December 2015 collaboration agreement and the integrated care "
    "boards of July 2022.",
    model=TimelineEvent,
    selector=pilot_selectors.published_timeline_events,
    filterset=TimelineEventFilter,
    columns=(
        Column("slug", STRING, "The event's identifier.", "five-devolution-pilots-announced", required=True),
        Column("title", STRING, "What happened, in a line.", "Five devolution pilots announced"),
        Column(
            "happened_on",
            DATE,
            "When it happened (ISO 8601); read with happened_on_precision.",
            "2015-12-15",
            required=True,
        ),
        _precision("happened_on", "the date"),
        Column("description", STRING, "What happened, in a few plain sentences.", ""),
        Column(
            "note",
            STRING,
            "Where sources disagree (a date, who signed), what each says, naming them; otherwise empty.",
            "Sources disagree on when the board began ...",
        ),
        Column(
            "london_wide",
            BOOLEAN,
            "true if the event concerns every London borough (it shows on every borough's page), else false.",
            "true",
            live=lambda: expressions.true_or_false("london_wide"),
            historical=lambda moment: expressions.true_or_false("london_wide"),
        ),
        Column(
            "pilot_slugs",
            STRING,
            "The published pilots the event concerns (see pilots), separated by ';', in alphabetical order.",
            "haringey-prevention;north-central-london-estates",
            live=lambda: expressions.linked_values(
                TimelineEvent, "pilots", "pilot__slug", public_condition(Pilot, via="pilot")
            ),
            historical=lambda moment: expressions.historical_linked_values(
                TimelineEvent, "pilots", "pilot__slug", moment, public=(Pilot, "pilot")
            ),
            sorted_list=True,
        ),
        Column(
            "authority_gss_codes",
            STRING,
            "ONS GSS codes of the authorities the event concerns (see boroughs), separated by ';', in order; "
            "empty for a London-wide event.",
            "E09000003;E09000007",
            live=lambda: expressions.linked_values(TimelineEvent, "authorities", "localauthority__gss_code"),
            historical=lambda moment: expressions.historical_linked_values(
                TimelineEvent, "authorities", "localauthority__gss_code", moment
            ),
            sorted_list=True,
        ),
        Column(
            "ics_codes",
            STRING,
            "Codes of the integrated care systems the event concerns (see integrated-care-systems), separated by "
            "';', in alphabetical order.",
            "NCL;NWL",
            live=lambda: expressions.linked_values(
                TimelineEvent, "integrated_care_systems", "integratedcaresystem__code"
            ),
            historical=lambda moment: expressions.historical_linked_values(
                TimelineEvent, "integrated_care_systems", "integratedcaresystem__code", moment
            ),
            sorted_list=True,
        ),
        _source_slugs(TimelineEvent, "that report the event"),
    ),
    primary_key=("slug",),
)

TIMELINE = Dataset(
    name="timeline",
    title="Timeline of London health and care devolution",
    description="The timeline as /timeline/ shows it: London-wide and shared events and the pilots' updates "
    "together, oldest first.",
    model=TimelineEntry,
    selector=pilot_selectors.timeline_entries,
    filterset=TimelineFilter,
    html_list="/timeline/",
    no_as_of_reason="the timeline is put together from the timeline-events and pilot-updates datasets, which have "
    "no single history between them; download those two with as_of instead.",
    changed_with=(TimelineEvent, PilotUpdate),
    rows_of=("timeline-events", "pilot-updates"),  # every public event and every public update
    columns=(
        Column(
            "kind",
            STRING,
            "event (a development recorded once, see timeline-events) or update (of one pilot, see pilot-updates).",
            "event",
            required=True,
            enum=_choices(TimelineEntry.Kind.choices),
        ),
        Column(
            "pilot_slug",
            STRING,
            "For an update, its pilot (see pilots); empty for an event.",
            "hackney-health-and-social-care-integration",
            path="pilot__slug",
        ),
        Column(
            "slug",
            STRING,
            "The event's identifier, or the update's (unique within its pilot).",
            "five-devolution-pilots-announced",
            required=True,
        ),
        Column(
            "happened_on",
            DATE,
            "When it happened (ISO 8601); read with happened_on_precision. Empty if no source dates an update.",
            "2015-12-15",
        ),
        _precision("happened_on", "the date"),
        Column("title", STRING, "What happened, in a line.", "Five devolution pilots announced"),
        Column("text", STRING, "What happened, in a few plain sentences.", ""),
        Column(
            "source_slugs",
            STRING,
            "The published sources that report it, as their slugs (see the sources dataset) separated by ';', in "
            "alphabetical order.",
            "2015-12-15-road-test-health-care-models",
            live=lambda: Coalesce(
                expressions.source_slugs(TimelineEvent, of="event_id"),
                expressions.source_slugs(PilotUpdate, of="update_id"),
            ),
            sorted_list=True,
        ),
    ),
    primary_key=("kind", "pilot_slug", "slug"),
    foreign_keys=(ForeignKey(("pilot_slug",), "pilots", ("slug",)),),
)

KEY_FIGURES = Dataset(
    name="key-figures",
    title="Key figures",
    description="Numbers exactly as a source states them, never rounded or converted.",
    model=KeyFigure,
    selector=source_selectors.published_key_figures,
    filterset=KeyFigureFilter,
    columns=(
        Column("slug", STRING, "The figure's identifier.", "nhs-deficit-2015-16-nine-months", required=True),
        Column("label", STRING, "What is counted, in plain English.", "NHS deficit"),
        Column(
            "value",
            NUMBER,
            "The number, only where the source gives one (empty for e.g. 'a third'). Read with unit.",
            "2300000000",
        ),
        Column(
            "value_qualifier",
            STRING,
            "The source's own qualifier of value: over, almost, up_to or approximately ('over 44 per cent': 44 "
            "and over); empty if the source states the number plainly.",
            "over",
            enum=_choices(KeyFigure.Qualifier.choices),
        ),
        Column("value_as_stated", STRING, "Exactly as the source words it.", "£2.3 billion"),
        Column(
            "unit",
            STRING,
            "gbp (pounds sterling), percent, people or count.",
            "gbp",
            enum=_choices(KeyFigure.Unit.choices),
        ),
        Column("period", STRING, "The period or date the figure refers to, as stated.", "by 2020"),
        Column("note", STRING, "Context a reader needs.", "The figure is a projection."),
        Column(
            "source_slug",
            STRING,
            "Slug of the source that states the figure (see sources).",
            "oneill-2016-healthcare-collaboration",
            path="source__slug",
            required=True,
        ),
    ),
    primary_key=("slug",),
    foreign_keys=(ForeignKey(("source_slug",), "sources", ("slug",)),),
)

GLOSSARY = Dataset(
    name="glossary",
    title="Glossary",
    description="The words residents meet on the portal (ICS, ICB, place partnership, the Five Ps...), each "
    "defined in plain words with its sources.",
    model=GlossaryTerm,
    selector=source_selectors.published_glossary_terms,
    columns=(
        Column(
            "slug", STRING, "The term's identifier, as in /glossary/#<slug>.", "integrated-care-board", required=True
        ),
        Column("term", STRING, "The term.", "Integrated care board", required=True),
        Column("abbreviation", STRING, "Its usual abbreviation, if any.", "ICB"),
        Column("definition", STRING, "What it means, in one to three plain sentences.", "The statutory NHS body ..."),
        _source_slugs(GlossaryTerm, "that explain the term"),
    ),
    primary_key=("slug",),
)

DATASETS: dict[str, Dataset] = {
    dataset.name: dataset
    for dataset in (
        BOROUGHS,
        INTEGRATED_CARE_SYSTEMS,
        PLACE_PARTNERSHIPS,
        PILOTS,
        PILOT_PARTICIPANTS,
        PILOT_UPDATES,
        SOURCES,
        TIMELINE_EVENTS,
        TIMELINE,
        KEY_FIGURES,
        GLOSSARY,
    )
}
