"""The members only the API's detail record has (public yearly figures and evidence), prepared with
the other documents instead of built per request (registry.documents.prepare_detail_members).

The records already there get theirs after the migration (registry.apps, post_migrate): they are
made in Python by today's code from today's tables, which a migration must not rely on."""

import django.db.models.deletion
from django.db import migrations, models


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
    ]
