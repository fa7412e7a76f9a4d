"""The import and export pages: upload, job page with htmx polling, error report, templates."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from shuzhi.orgs.imports import units as importing
from shuzhi.orgs.imports.models import ImportJob, ImportStatus
from shuzhi.orgs.tree.models import Unit

pytestmark = pytest.mark.django_db

GOOD = "code,name,parent_code,type\n440104001,北京街道党工委,440104,subdistrict\n"
BAD = "code,name,parent_code,type\n440104001,,440104,subdistrict\nX2,乙,NOPE,branch\n"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def upload(client, content: str, *, name: str = "units.csv", good_rows_only: bool = False):
    data: dict[str, object] = {
        "file": SimpleUploadedFile(name, content.encode("utf-8"), content_type="text/csv")
    }
    if good_rows_only:
        data["good_rows_only"] = "on"
    return client.post(reverse("unit_import"), data)


@pytest.mark.smoke
def test_upload_runs_the_job_and_shows_the_result(
    client, world, django_capture_on_commit_callbacks
):
    client.force_login(world.alice)
    page = client.get(reverse("unit_import"))
    assert page.status_code == 200
    assert "只导入无误的行" in page.content.decode()
    assert "code,name,parent_code,type" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, GOOD)
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("import_job", args=[job.pk])
    assert job.status == ImportStatus.DONE
    assert job.file.name.startswith("imports/")
    assert Unit.objects.get(code="440104001").parent == world.county_a2
    html = client.get(response["Location"]).content.decode()
    assert "完成" in html
    assert "新建 1 个" in html
    assert 'hx-trigger="every 1s"' not in html  # finished: polling stops


def test_bad_file_shows_errors_and_offers_the_report(
    client, world, django_capture_on_commit_callbacks
):
    client.force_login(world.alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, BAD)
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.FAILED
    html = client.get(response["Location"]).content.decode()
    assert "失败" in html
    assert "名称不能为空。" in html
    assert "NOPE" in html
    assert reverse("import_job_errors", args=[job.pk]) in html
    report = client.get(reverse("import_job_errors", args=[job.pk]))
    assert report.status_code == 200
    assert report["Content-Disposition"].startswith("attachment")
    text = b"".join(report.streaming_content).decode("utf-8-sig")
    assert text.splitlines() == [
        "行号,列,问题",
        "2,name,名称不能为空。",
        "3,parent_code,上级组织代码“NOPE”在文件和您管理范围内的组织中都不存在。",
    ]
    assert not Unit.objects.filter(code="440104001").exists()


def test_good_rows_only_checkbox(client, world, django_capture_on_commit_callbacks):
    client.force_login(world.alice)
    mixed = GOOD + "X2,乙,NOPE,branch\n"
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, mixed, good_rows_only=True)
    job = ImportJob.objects.get()
    assert job.good_rows_only
    assert (job.status, job.created_count, job.error_count) == (ImportStatus.DONE, 1, 1)


def test_running_job_polls_every_second(client, world):
    client.force_login(world.alice)
    job = importing.create_job(
        actor=world.alice, file_name="units.csv", content=GOOD.encode(), enqueue=False
    )
    html = client.get(reverse("import_job", args=[job.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in html
    assert reverse("import_job_status", args=[job.pk]) in html
    assert "排队中" in html
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.VALIDATING, total_rows=200, processed_rows=50
    )
    html = client.get(reverse("import_job_status", args=[job.pk])).content.decode()
    assert "校验中" in html
    assert "已校验 50 / 200 行" in html
    assert "<html" not in html  # the fragment alone


def test_wrong_extension_is_a_form_error(client, world):
    client.force_login(world.alice)
    response = upload(client, GOOD, name="units.doc")
    assert response.status_code == 200
    assert "不支持的文件类型" in response.content.decode()
    assert not ImportJob.objects.exists()


@pytest.mark.parametrize("persona", ["bob", "carol", "erin"])
def test_import_page_refuses_users_without_the_right(client, world, persona):
    client.force_login(getattr(world, persona))
    assert client.get(reverse("unit_import")).status_code == 403
    assert upload(client, GOOD).status_code == 403
    assert not ImportJob.objects.exists()


def test_jobs_of_other_users_are_not_found(client, world):
    job = importing.create_job(
        actor=world.alice, file_name="units.csv", content=GOOD.encode(), enqueue=False
    )
    client.force_login(world.bob)
    for name in ("import_job", "import_job_status", "import_job_errors"):
        assert client.get(reverse(name, args=[job.pk])).status_code == 404
    client.force_login(world.root)
    assert client.get(reverse("import_job", args=[job.pk])).status_code == 200


def test_import_page_lists_recent_jobs_in_constant_queries(
    client, world, django_assert_num_queries
):
    client.force_login(world.root)
    for k in range(3):
        importing.create_job(
            actor=world.root, file_name=f"f{k}.csv", content=GOOD.encode(), enqueue=False
        )
    # The session, the user, and the jobs with their uploaders in one join.
    with django_assert_num_queries(3):
        response = client.get(reverse("unit_import"))
    assert response.content.decode().count("f1.csv") == 1


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_template_download(client, world, file_format):
    client.force_login(world.alice)
    response = client.get(reverse("unit_import_template", args=[file_format]))
    assert response.status_code == 200
    assert f"units-template.{file_format}" in response["Content-Disposition"]
    if file_format == "csv":
        assert response.content.decode("utf-8-sig").startswith("code,name,parent_code,type")


def test_export_page_and_download(client, world):
    client.force_login(world.alice)
    page = client.get(reverse("unit_export"), {"unit": "440100"})
    html = page.content.decode()
    assert "广州市委" in html
    assert f"{reverse('unit_export_download')}?unit=440100&amp;format=xlsx" in html
    response = client.get(reverse("unit_export_download"), {"unit": "440100", "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="units-440100.csv"'
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[:2] == ["code,name,parent_code,type,short_name", "440100,广州市委,440000,city,"]


def test_export_outside_scope_is_not_found(client, world):
    client.force_login(world.carol)
    page = client.get(reverse("unit_export"), {"unit": "440100"})
    assert "没有找到" in page.content.decode()
    response = client.get(reverse("unit_export_download"), {"unit": "440100", "format": "csv"})
    assert response.status_code == 404
