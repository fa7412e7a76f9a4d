"""Ship the default unit types with the codes import files use."""

from django.db import migrations

DEFAULT_TYPES = [
    ("province", "省级党委", "省级"),
    ("city", "市级党委", "市级"),
    ("county", "县级党委", "县级"),
    ("township", "乡镇党委", "乡镇级"),
    ("subdistrict", "街道党工委", "乡镇级"),
    ("village", "村党组织", "村级"),
    ("community", "社区党组织", "村级"),
    ("organs_committee", "机关工委", "工委"),
    ("department", "部门党组/机关党委", "部门"),
    ("sasac", "国资委党委", "工委"),
    ("soe", "国有企业党委", "企事业单位"),
    ("education_committee", "教育工委", "工委"),
    ("university", "高校党委", "企事业单位"),
    ("hospital", "公立医院党委", "企事业单位"),
    ("nonpublic_committee", "两新工委", "工委"),
    ("nonpublic_org", "非公企业和社会组织党组织", "基层"),
    ("general_branch", "党总支", "基层"),
    ("branch", "党支部", "基层"),
    ("temporary", "临时党组织", "基层"),
]


def add_types(apps, schema_editor):
    UnitType = apps.get_model("orgs", "UnitType")
    for position, (code, name, level) in enumerate(DEFAULT_TYPES, start=1):
        UnitType.objects.update_or_create(
            code=code, defaults={"name": name, "level_label": level, "sort_order": position * 10}
        )


def remove_types(apps, schema_editor):
    UnitType = apps.get_model("orgs", "UnitType")
    UnitType.objects.filter(code__in=[code for code, _, _ in DEFAULT_TYPES]).delete()


class Migration(migrations.Migration):
    dependencies = [("orgs", "0001_initial")]
    operations = [migrations.RunPython(add_types, remove_types)]
