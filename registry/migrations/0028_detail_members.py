"""The members only the API's detail record has (public yearly figures and evidence), prepared with
the other documents instead of built per request (registry.documents.prepare_detail_members).

Filled for the records already there by the builder itself, as `manage.py rebuild_documents` would:
the members are made in Python (their indicators are Python floats), so no SQL here can make them.
That is the code of the day the migration runs, not of this migration: should a later change to the
figures' models make it fail on a register migrated across both at once, migrate to this point first."""

import django.db.models.deletion
from django.db import migrations, models


def prepare_members(apps, schema_editor):
    from registry.documents import prepare_detail_members

    prepare_detail_members()


class Migration(migrations.Migration):

    dependencies = [
        ('registry', '0027_search_places'),
    ]

    operations = [
        migrations.CreateModel(
            name='FiguresDocument',
            fields=[
                ('initiative', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='figures_document', serialize=False, to='registry.initiative', verbose_name='initiative')),
                ('members', models.TextField(verbose_name='yearlyFigures and socialValueEvidence, as JSON members')),
            ],
            options={
                'verbose_name': 'prepared figures',
                'verbose_name_plural': 'prepared figures',
            },
        ),
        migrations.RunPython(prepare_members, migrations.RunPython.noop),
    ]
