"""The problem sources of DOMAIN.md §3, shipped as data an administrator can extend."""

from django.db import migrations

DEFAULT_SOURCES = [
    ("xunshi", "巡视"),
    ("xuncha", "巡察"),
    ("supervision", "专项督察/督查"),
    ("research", "随机调研"),
    ("unannounced", "暗访"),
    ("petition", "信访/群众反映"),
    ("critique", "上级点评"),
    ("ballot", "民主评议"),
    ("self", "自查"),
    ("carried", "上年度遗留"),
]


def add_sources(apps, schema_editor):
    ProblemSource = apps.get_model("rectification", "ProblemSource")
    for position, (code, name) in enumerate(DEFAULT_SOURCES, start=1):
        ProblemSource.objects.update_or_create(
            code=code, defaults={"name": name, "sort_order": position * 10, "builtin": True}
        )


def remove_sources(apps, schema_editor):
    ProblemSource = apps.get_model("rectification", "ProblemSource")
    ProblemSource.objects.filter(code__in=[code for code, _ in DEFAULT_SOURCES]).delete()


class Migration(migrations.Migration):
    dependencies = [("rectification", "0002_initial")]
    operations = [migrations.RunPython(add_sources, remove_sources)]
