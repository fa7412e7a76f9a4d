"""API tokens get an access level, areas and an expiry; the login lock table goes.

Tokens issued before this migration keep working as they did — read-write in every area —
but now expire: 90 days after the migration runs (docs/deployment.md). Login failures are now
counted in the shared throttle cache, per account and address, so ``LoginLock`` (one row per
user name tried, real or not) is dropped with its rows.
"""

import datetime

from django.db import migrations, models
from django.utils import timezone

# The areas of the API when tokens got areas (shuzhi.accounts.tokens.AREAS at the time).
AREAS_THEN = [
    "orgs",
    "accounts",
    "audit",
    "cycles",
    "meetings",
    "ballots",
    "rectification",
    "reports",
    "assessment",
    "inbox",
]


def existing_tokens_keep_their_reach(apps, schema_editor):
    ApiToken = apps.get_model("accounts", "ApiToken")
    ApiToken.objects.update(
        access="write",
        areas=AREAS_THEN,
        expires_at=timezone.now() + datetime.timedelta(days=90),
    )


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_leader_role")]

    operations = [
        migrations.AddField(
            model_name="apitoken",
            name="access",
            field=models.CharField(
                choices=[("read", "只读"), ("write", "读写")],
                default="read",
                max_length=8,
                verbose_name="权限",
            ),
        ),
        migrations.AddField(
            model_name="apitoken",
            name="areas",
            field=models.JSONField(default=list, verbose_name="业务范围"),
        ),
        migrations.AddField(
            model_name="apitoken",
            name="expires_at",
            field=models.DateTimeField(null=True, verbose_name="到期时间"),
        ),
        migrations.RunPython(existing_tokens_keep_their_reach, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="apitoken",
            name="expires_at",
            field=models.DateTimeField(verbose_name="到期时间"),
        ),
        migrations.DeleteModel(name="LoginLock"),
    ]
