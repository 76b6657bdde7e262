"""An index of the pilot updates by publication state and pilot: counting the public updates (the data
hub's row count of a million updates) reads this index alone, pilot by published pilot, instead of every
row of the table."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("pilots", "0006_timeline_entry_public_undated"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="pilotupdate",
            index=models.Index(fields=["publication_status", "pilot"], name="pilotupdate_pub_pilot"),
        ),
    ]
