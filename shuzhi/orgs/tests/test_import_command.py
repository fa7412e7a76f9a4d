"""``manage.py import_units``: exit codes, printed counts and error report, acting user."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from shuzhi.core.models import AuditEntry
from shuzhi.orgs.imports.models import ImportJob
from shuzhi.orgs.tree.models import Unit

pytestmark = pytest.mark.django_db

GOOD = "code,name,parent_code,type\n440104001,北京街道党工委,440104,subdistrict\n"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def write(tmp_path, content: str, name: str = "units.csv", encoding: str = "utf-8"):
    path = tmp_path / name
    path.write_bytes(content.encode(encoding))
    return path


@pytest.mark.smoke
def test_success_prints_counts_and_runs_as_first_superuser(world, tmp_path, capsys):
    path = write(tmp_path, GOOD)
    call_command("import_units", str(path))
    out = capsys.readouterr().out
    assert "新建 1 个" in out and "更新 0 个" in out and "未变 0 个" in out
    call_command("import_units", str(path))
    out = capsys.readouterr().out
    assert "新建 0 个" in out and "未变 1 个" in out
    job = ImportJob.objects.order_by("pk").first()
    assert job is not None
    assert job.created_by == world.root
    assert AuditEntry.objects.filter(action="unit.import").count() == 2
    assert Unit.objects.filter(code="440104001").count() == 1


def test_failure_exits_non_zero_with_the_report(world, tmp_path, capsys):
    path = write(tmp_path, GOOD + "X2,,NOPE,branch\n", encoding="gbk")
    with pytest.raises(CommandError, match="导入失败") as exc:
        call_command("import_units", str(path), "--user", "alice")
    assert exc.value.returncode == 1
    err = capsys.readouterr().err
    assert "行号,列,问题" in err
    assert "3,name,名称不能为空。" in err
    assert "3,parent_code,上级组织代码“NOPE”在文件和您管理范围内的组织中都不存在。" in err
    assert not Unit.objects.filter(code="440104001").exists()


def test_good_rows_only_flag(world, tmp_path, capsys):
    path = write(tmp_path, GOOD + "X2,,NOPE,branch\n")
    call_command("import_units", str(path), "--good-rows-only", "--user", "alice")
    captured = capsys.readouterr()
    assert "新建 1 个" in captured.out and "另有 2 处问题，相关的行未导入" in captured.out
    assert "名称不能为空" in captured.err
    assert ImportJob.objects.get().created_by == world.alice


@pytest.mark.parametrize("persona", ["bob", "carol", "erin"])
def test_users_without_the_right_are_refused(world, tmp_path, persona):
    with pytest.raises(CommandError, match="没有导入组织的权限"):
        call_command("import_units", str(write(tmp_path, GOOD)), "--user", persona)


def test_wrong_extension_and_missing_file(world, tmp_path):
    with pytest.raises(CommandError, match="不支持的文件类型"):
        call_command("import_units", str(write(tmp_path, GOOD, name="units.doc")))
    with pytest.raises(CommandError, match="文件不存在"):
        call_command("import_units", str(tmp_path / "nope.csv"))
    with pytest.raises(CommandError, match="用户不存在"):
        call_command("import_units", str(write(tmp_path, GOOD)), "--user", "nobody")
