"""The timeline view again, with two columns worked out in it, so that a page of the timeline is read in
index order instead of sorting a million rows:

- ``public``: the entry's record is public. An event by its own publication state; an update by its own
  and its pilot's (an EXISTS, not a join, so each half of the view stays one table and its index order
  survives). This is the rule of ``core.models.public_rule`` for the two models, written out in SQL
  because a migration never imports project code; tests/pilots/test_timeline_view.py checks it against
  ``public_condition`` for every combination of states, so the two cannot drift apart.
- ``undated``: 1 for an update without a date, else 0. The timeline sorts by (undated, happened_on, id),
  which is "oldest first, undated last" on SQLite too, whose indexes cannot put NULL last.

The id is now an update's own id, and an event's id minus 2**40 (negative): unique across both, and on
the same day every event sorts before every update, each by its own id, as before, with no ``kind`` in the
order (PostgreSQL cannot read a constant column's order from an index). Each half has a partial index in
exactly that order over its public rows, so PostgreSQL reads the view as a Merge Append of two index scans
and SQLite as a merge of two ordered scans, and both stop after one page. The indexes spell the view's
expressions exactly (SQLite matches an expression index only to the same expression).

SQLite cannot rebuild a table a view reads: a later migration that alters pilots_timelineevent or
pilots_pilotupdate on SQLite must drop this view first and create it again after."""

from django.db import migrations, models

EVENT_OFFSET = "1099511627776"  # 2**40
UNDATED = "CASE WHEN happened_on IS NULL THEN 1 ELSE 0 END"

CREATE_VIEW = f"""
CREATE VIEW pilots_timelineentry AS
SELECT CAST(e.id - {EVENT_OFFSET} AS bigint) AS id, 'event' AS kind, e.id AS event_id,
       CAST(NULL AS bigint) AS update_id, CAST(NULL AS bigint) AS pilot_id, e.slug, e.title,
       e.description AS text, e.happened_on, e.happened_on_precision,
       e.publication_status = 'published' AS public,
       CASE WHEN e.happened_on IS NULL THEN 1 ELSE 0 END AS undated
  FROM pilots_timelineevent e
UNION ALL
SELECT u.id, 'update', CAST(NULL AS bigint), u.id, u.pilot_id, u.slug, u.title, u.body, u.happened_on,
       u.happened_on_precision,
       u.publication_status = 'published' AND EXISTS (
           SELECT 1 FROM pilots_pilot p WHERE p.id = u.pilot_id AND p.publication_status = 'published'
       ),
       CASE WHEN u.happened_on IS NULL THEN 1 ELSE 0 END
  FROM pilots_pilotupdate u
"""

CREATE_INDEXES = [
    f"CREATE INDEX timelineevent_public_order ON pilots_timelineevent "
    f"(({UNDATED}), happened_on, (CAST(id - {EVENT_OFFSET} AS bigint))) WHERE publication_status = 'published'",
    f"CREATE INDEX pilotupdate_public_order ON pilots_pilotupdate "
    f"(({UNDATED}), happened_on, id) WHERE publication_status = 'published'",
    # The feeds order undated updates by the day they were published: this small index holds all a feed
    # reads of them (no table row is fetched for the sort). It starts with the two columns the feed's
    # query names, so that SQLite's planner, whose statistics average over every date, picks it.
    "CREATE INDEX pilotupdate_public_undated ON pilots_pilotupdate "
    "(publication_status, happened_on, published_at, id, pilot_id) "
    "WHERE happened_on IS NULL AND publication_status = 'published'",
]
DROP_INDEXES = [
    "DROP INDEX timelineevent_public_order",
    "DROP INDEX pilotupdate_public_order",
    "DROP INDEX pilotupdate_public_undated",
]

# Migration 0005's view, to go back to.
OLD_VIEW = """
CREATE VIEW pilots_timelineentry AS
SELECT 2 * e.id AS id, 'event' AS kind, e.id AS event_id, CAST(NULL AS bigint) AS update_id,
       CAST(NULL AS bigint) AS pilot_id, e.slug, e.title, e.description AS text, e.happened_on,
       e.happened_on_precision
  FROM pilots_timelineevent e
UNION ALL
SELECT 2 * u.id + 1, 'update', NULL, u.id, u.pilot_id, u.slug, u.title, u.body, u.happened_on,
       u.happened_on_precision
  FROM pilots_pilotupdate u
"""
DROP_VIEW = "DROP VIEW pilots_timelineentry"


class Migration(migrations.Migration):
    dependencies = [
        ("pilots", "0005_timeline_entry"),
    ]

    operations = [
        migrations.RunSQL(
            [DROP_VIEW, *CREATE_INDEXES, CREATE_VIEW],
            [DROP_VIEW, *DROP_INDEXES, OLD_VIEW],
        ),
        migrations.AddField(
            model_name="timelineentry",
            name="public",
            field=models.BooleanField(default=False),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="timelineentry",
            name="undated",
            field=models.PositiveSmallIntegerField(default=0),
            preserve_default=False,
        ),
    ]
