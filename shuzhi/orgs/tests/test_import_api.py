"""The import/export API: start a job, read it back, export a subtree; scoped like the pages."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from shuzhi.orgs.imports import units as importing
from shuzhi.orgs.imports.models import ImportJob, ImportStatus
from shuzhi.orgs.tree.models import Unit

pytestmark = pytest.mark.django_db

GOOD = "code,name,parent_code,type\n440104001,北京街道,440104,subdistrict\n".encode()


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def post_file(client, content: bytes, **extra):
    return client.post(
        "/api/units/import",
        {"file": SimpleUploadedFile("units.csv", content, content_type="text/csv"), **extra},
    )


@pytest.mark.smoke
def test_start_and_read_an_import(client, world, django_capture_on_commit_callbacks):
    client.force_login(world.alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = post_file(client, GOOD)
    assert response.status_code == 201, response.content
    job_id = response.json()["id"]
    body = client.get(f"/api/units/import/{job_id}").json()
    assert body["status"] == ImportStatus.DONE
    assert body["status_label"] == "完成"
    assert (body["created"], body["updated"], body["unchanged"], body["error_count"]) == (
        1,
        0,
        0,
        0,
    )
    assert Unit.objects.filter(code="440104001").exists()


def test_errors_and_good_rows_only(client, world, django_capture_on_commit_callbacks):
    client.force_login(world.alice)
    content = GOOD + b"X2,x,NOPE,branch\n"
    with django_capture_on_commit_callbacks(execute=True):
        failed = post_file(client, content).json()["id"]
        partial = post_file(client, content, good_rows_only="true").json()["id"]
    body = client.get(f"/api/units/import/{failed}").json()
    assert body["status"] == ImportStatus.FAILED
    assert body["errors"] == [
        [3, "parent_code", "上级组织代码“NOPE”在文件和您管理范围内的组织中都不存在。"]
    ]
    body = client.get(f"/api/units/import/{partial}").json()
    assert (body["status"], body["created"], body["error_count"]) == (ImportStatus.DONE, 1, 1)
    assert body["good_rows_only"] is True


def test_wrong_extension_answers_422(client, world):
    client.force_login(world.alice)
    response = client.post("/api/units/import", {"file": SimpleUploadedFile("units.doc", GOOD)})
    assert response.status_code == 422
    assert "不支持的文件类型" in response.json()["errors"]["file"][0]
    assert not ImportJob.objects.exists()


@pytest.mark.parametrize("persona", ["bob", "carol", "erin"])
def test_users_without_the_right_are_refused(client, world, persona):
    client.force_login(getattr(world, persona))
    assert post_file(client, GOOD).status_code == 403
    assert not ImportJob.objects.exists()


def test_other_users_jobs_answer_404(client, world):
    job = importing.create_job(
        actor=world.alice, file_name="units.csv", content=GOOD, enqueue=False
    )
    client.force_login(world.bob)
    assert client.get(f"/api/units/import/{job.pk}").status_code == 404
    client.force_login(world.root)
    assert client.get(f"/api/units/import/{job.pk}").status_code == 200


def test_export(client, world):
    client.force_login(world.alice)
    response = client.get("/api/units/export", {"unit": "440103", "format": "csv"})
    assert response.status_code == 200
    assert response.content.decode("utf-8-sig").splitlines() == [
        "code,name,parent_code,type,short_name",
        "440103,荔湾区委,440100,county,",
        "440103001,沙面街道党工委,440103,subdistrict,",
        "440103001001,沙面社区党委,440103001,community,",
    ]
    xlsx = client.get("/api/units/export", {"unit": "440103", "format": "xlsx"})
    assert xlsx.status_code == 200
    assert xlsx.content[:2] == b"PK"
    assert client.get("/api/units/export", {"unit": "440103", "format": "pdf"}).status_code == 422


def test_export_outside_scope_answers_404(client, world):
    client.force_login(world.carol)
    assert client.get("/api/units/export", {"unit": "440100"}).status_code == 404
    assert client.get("/api/units/export", {"unit": "440300"}).status_code == 200
