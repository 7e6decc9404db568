"""The anonymous rate's counts (api.throttling): an unlogged table, as it holds nothing worth the
write-ahead log (after a crash the counts start again at nought)."""

from django.db import migrations


class Migration(migrations.Migration):
    initial = True
    dependencies: list[tuple[str, str]] = []

    operations = [
        migrations.RunSQL(
            sql="""
                CREATE UNLOGGED TABLE api_throttle (
                    client text NOT NULL,
                    slot bigint NOT NULL,
                    hits integer NOT NULL,
                    PRIMARY KEY (client, slot)
                );
                CREATE INDEX api_throttle_by_slot ON api_throttle (slot);
            """,
            reverse_sql="DROP TABLE api_throttle",
        ),
    ]
