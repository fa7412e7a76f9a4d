"""Store a ballot as one row; read its ratings through a view that unnests them.

Existing rating rows are folded into one ``ballots_ballot`` row per ballot (keeping the
ballot's random key, inserted in random order), the rating table is dropped, and the view
``ballots_ballotentry`` takes its name so the tally and exports read ratings as before.
Reversible: going back expands each ballot into rating rows again.
"""

import random
import uuid

import django.db.models.deletion
from django.db import migrations, models

VIEW_POSTGRESQL = """
CREATE VIEW ballots_ballotentry AS
SELECT b.id::text || ':' || e.key || ':overall' AS id, b.round_id, b.id AS ballot, b.category,
       e.key::bigint AS reporter_id, 'overall'::varchar(32) AS item, e.value AS grade
  FROM ballots_ballot b CROSS JOIN LATERAL jsonb_each_text(b.ratings) e
UNION ALL
SELECT b.id::text || ':' || r.key || ':' || i.key, b.round_id, b.id, b.category,
       r.key::bigint, i.key::varchar(32), i.value
  FROM ballots_ballot b CROSS JOIN LATERAL jsonb_each(b.items) r
       CROSS JOIN LATERAL jsonb_each_text(r.value) i
"""

VIEW_SQLITE = """
CREATE VIEW ballots_ballotentry AS
SELECT b.id || ':' || e.key || ':overall' AS id, b.round_id AS round_id, b.id AS ballot,
       b.category AS category, CAST(e.key AS integer) AS reporter_id, 'overall' AS item,
       e.value AS grade
  FROM ballots_ballot b, json_each(b.ratings) e
UNION ALL
SELECT b.id || ':' || r.key || ':' || i.key, b.round_id, b.id, b.category,
       CAST(r.key AS integer), i.key, i.value
  FROM ballots_ballot b, json_each(b.items) r, json_each(r.value) i
"""


def create_view(apps, schema_editor):
    sql = VIEW_POSTGRESQL if schema_editor.connection.vendor == "postgresql" else VIEW_SQLITE
    schema_editor.execute(sql)


def drop_view(apps, schema_editor):
    schema_editor.execute("DROP VIEW IF EXISTS ballots_ballotentry")


def fold_entries(apps, schema_editor):
    """One ballot row per distinct ``ballot`` key of the old rating rows."""
    entry = apps.get_model("ballots", "BallotEntry")
    ballot = apps.get_model("ballots", "Ballot")
    alias = schema_editor.connection.alias
    folded: dict = {}
    rows = entry.objects.using(alias).values_list(
        "ballot", "round_id", "category", "reporter_id", "item", "grade"
    )
    for key, round_id, category, reporter_id, item, grade in rows.iterator(chunk_size=5000):
        row = folded.setdefault(key, (round_id, category, {}, {}))
        if item == "overall":
            row[2][str(reporter_id)] = grade
        else:
            row[3].setdefault(str(reporter_id), {})[item] = grade
    keys = list(folded)
    random.SystemRandom().shuffle(keys)  # insertion order says nothing about the old rows
    ballot.objects.using(alias).bulk_create(
        (
            ballot(id=key, round_id=r, category=c, ratings=ratings, items=items)
            for key in keys
            for r, c, ratings, items in [folded[key]]
        ),
        batch_size=1000,
    )


def expand_ballots(apps, schema_editor):
    """Back to one rating row per reporter and item."""
    entry = apps.get_model("ballots", "BallotEntry")
    ballot = apps.get_model("ballots", "Ballot")
    alias = schema_editor.connection.alias
    rows = []
    for b in ballot.objects.using(alias).iterator(chunk_size=1000):
        for rid, grade in b.ratings.items():
            rows.append((b, int(rid), "overall", grade))
        for rid, graded in b.items.items():
            rows.extend((b, int(rid), item, grade) for item, grade in graded.items())
    entry.objects.using(alias).bulk_create(
        (
            entry(
                id=uuid.uuid4(),
                round_id=b.round_id,
                ballot=b.id,
                category=b.category,
                reporter_id=rid,
                item=item,
                grade=grade,
            )
            for b, rid, item, grade in rows
        ),
        batch_size=2000,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("ballots", "0002_entry_keys_checked_by_vote_path"),
        ("meetings", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="Ballot",
            fields=[
                (
                    "id",
                    models.UUIDField(
                        default=uuid.uuid4, editable=False, primary_key=True, serialize=False
                    ),
                ),
                ("category", models.CharField(max_length=32, verbose_name="类别代码")),
                ("ratings", models.JSONField(default=dict, verbose_name="总体评价")),
                ("items", models.JSONField(blank=True, default=dict, verbose_name="分项评价")),
                (
                    "round",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="ballots",
                        to="ballots.ballotround",
                        verbose_name="投票轮次",
                    ),
                ),
            ],
            options={"verbose_name": "选票", "verbose_name_plural": "选票"},
        ),
        migrations.RunPython(fold_entries, expand_ballots),
        migrations.DeleteModel(name="BallotEntry"),
        migrations.CreateModel(
            name="BallotEntry",
            fields=[
                (
                    "id",
                    models.CharField(
                        editable=False, max_length=80, primary_key=True, serialize=False
                    ),
                ),
                ("ballot", models.UUIDField(verbose_name="选票")),
                ("category", models.CharField(max_length=32, verbose_name="类别代码")),
                (
                    "item",
                    models.CharField(default="overall", max_length=32, verbose_name="评价项目"),
                ),
                ("grade", models.CharField(blank=True, max_length=32, verbose_name="等次")),
                (
                    "reporter",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="meetings.sessionreporter",
                        verbose_name="述职人",
                    ),
                ),
                (
                    "round",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="ballots.ballotround",
                        verbose_name="投票轮次",
                    ),
                ),
            ],
            options={
                "verbose_name": "选票评价",
                "verbose_name_plural": "选票评价",
                "db_table": "ballots_ballotentry",
                "managed": False,
            },
        ),
        migrations.RunPython(create_view, drop_view),
    ]
