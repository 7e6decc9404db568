"""The documents keep copies of their record's status and last verification, so that `stale` is
decided when 1,000 documents are read without reading their 1,000 records (registry.documents.STALE).
Filled from the records; from now on registry.documents.prepare writes them with the other parts."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0023_province_name_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="initiativedocument",
            name="status",
            field=models.CharField(default="", max_length=20, verbose_name="status"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="initiativedocument",
            name="last_verified_on",
            field=models.DateField(null=True, verbose_name="last verified on"),
        ),
        migrations.RunSQL(
            """UPDATE registry_initiativedocument d SET status = i.status, last_verified_on = i.last_verified_on
                 FROM registry_initiative i WHERE i.id = d.initiative_id""",
            migrations.RunSQL.noop,
        ),
    ]
