"""The ledger import's pages and API: who may upload, the job page, the error report."""

from __future__ import annotations

import io
import re
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from shuzhi.rectification import ledger_import
from shuzhi.rectification.models import LedgerImport, Problem

pytestmark = pytest.mark.django_db

GOOD = (
    "组织代码,问题来源,问题描述,状态\n"
    "440103,巡察,组织生活会流于形式,整改中\n"
    "440103001,自查,台账资料不全,\n"
).encode()
BAD = GOOD + "440103,天降,来源不明的问题,\n".encode()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def upload(client, content: bytes, *, unit="440103", year=2025, name="ledger.csv"):
    """Upload, then confirm the preview's columns as shown (the journey of the page)."""
    response = client.post(
        "/problems/import/",
        {"file": SimpleUploadedFile(name, content), "unit": unit, "year": year},
    )
    if response.status_code != 302 or not response["Location"].endswith("/preview/"):
        return response
    page = client.get(response["Location"]).content.decode()
    assert "确认列对应" in page and "确认导入" in page
    posted = {"action": "confirm"}
    posted.update(
        dict(re.findall(r'name="(col-\d+)".*?<option value="(\w*)" selected', page, re.S))
    )
    posted["width"] = str(len([k for k in posted if k.startswith("col-")]))
    return client.post(response["Location"], posted)


@pytest.mark.smoke
def test_an_inspector_uploads_and_follows_the_job(
    client, world, django_capture_on_commit_callbacks
):
    client.force_login(world.dave)
    page = client.get("/problems/import/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "导入问题台账" in text
    assert '<option value="440103">荔湾区委</option>' in text
    assert "下载导入模板（Excel）" in text
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, GOOD)
    job = LedgerImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/problems/import/{job.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "导入完成：共 2 行，新增问题 2 个，记入 2025 年度台账。" in page
    assert "/problems/?year=2025&amp;unit=440103" in page
    status = client.get(f"/problems/import/{job.pk}/status/").content.decode()
    assert 'id="import-job-status"' in status and "hx-get" not in status
    assert Problem.objects.filter(unit=world.county_a1).count() == 1
    # The recent imports are listed on the upload page.
    assert "ledger.csv" in client.get("/problems/import/").content.decode()


def test_a_running_job_polls(client, world):
    client.force_login(world.dave)
    job = ledger_import.create_import(
        actor=world.dave, unit=world.county_a1, year=2025, file_name="a.csv", content=GOOD,
        enqueue=False,
    )  # fmt: skip
    LedgerImport.objects.filter(pk=job.pk).update(status="running", total_rows=10, done_rows=4)
    status = client.get(f"/problems/import/{job.pk}/status/").content.decode()
    assert f'hx-get="/problems/import/{job.pk}/status/"' in status
    assert "已处理 4 / 10 行" in status


def test_a_job_waiting_long_says_the_worker_must_run(client, world):
    """A job still waiting after ~10 s most likely has no worker to run it: the polled panel
    then says how to start one; a fresh job does not."""
    import datetime

    from django.utils import timezone

    client.force_login(world.dave)
    job = ledger_import.create_import(
        actor=world.dave, unit=world.county_a1, year=2025, file_name="a.csv", content=GOOD,
        enqueue=False,
    )  # fmt: skip
    status = client.get(f"/problems/import/{job.pk}/status/").content.decode()
    assert "等待后台任务开始" in status and "db_worker" not in status
    LedgerImport.objects.filter(pk=job.pk).update(
        created_at=timezone.now() - datetime.timedelta(seconds=11)
    )
    status = client.get(f"/problems/import/{job.pk}/status/").content.decode()
    assert "python manage.py db_worker" in status and "make demo" in status
    assert f'hx-get="/problems/import/{job.pk}/status/"' in status  # still polling
    LedgerImport.objects.filter(pk=job.pk).update(status="running", total_rows=10)
    status = client.get(f"/problems/import/{job.pk}/status/").content.decode()
    assert "db_worker" not in status


def test_errors_are_shown_and_downloadable(client, world, django_capture_on_commit_callbacks):
    client.force_login(world.dave)
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, BAD)
    page = client.get(response["Location"]).content.decode()
    assert "文件共 3 行，发现 1 处问题，未导入任何数据。" in page
    assert "<td>4</td><td>问题来源</td>" in page
    job = LedgerImport.objects.get()
    report = client.get(f"/problems/import/{job.pk}/errors.xlsx")
    assert report.status_code == 200
    assert report["Content-Type"] == XLSX
    rows = list(load_workbook(io.BytesIO(report.content)).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("行号", "错误说明", "组织代码")
    assert rows[3][0] == 4 and rows[3][1].startswith("问题来源：未知的问题来源“天降”")
    assert not Problem.objects.exists()


def test_the_form_refuses_a_unit_out_of_scope_and_a_wrong_file(client, world):
    client.force_login(world.dave)
    page = upload(client, GOOD, unit="440303").content.decode()
    assert "没有找到该组织，或您无权向它导入问题。" in page
    page = upload(client, GOOD, name="ledger.docx").content.decode()
    assert "不支持的文件类型“.docx”" in page
    assert not LedgerImport.objects.exists()


def test_who_may_import(client, world):
    assert client.get("/problems/import/").status_code == 302  # anonymous: to the login
    client.force_login(world.carol)  # viewer
    assert client.get("/problems/import/").status_code == 403
    assert upload(client, GOOD, unit="440303").status_code == 403
    client.force_login(world.erin)
    assert client.get("/problems/import/").status_code == 403
    client.force_login(world.alice)  # organiser of the province
    assert client.get("/problems/import/").status_code == 200


def test_a_job_is_seen_by_its_uploader_and_superusers_only(client, world):
    job = ledger_import.create_import(
        actor=world.dave, unit=world.county_a1, year=2025, file_name="a.csv", content=GOOD,
        enqueue=False,
    )  # fmt: skip
    client.force_login(world.alice)
    assert client.get(f"/problems/import/{job.pk}/").status_code == 404
    assert client.get(f"/problems/import/{job.pk}/status/").status_code == 404
    assert client.get(f"/problems/import/{job.pk}/errors.xlsx").status_code == 404
    client.force_login(world.root)
    assert client.get(f"/problems/import/{job.pk}/").status_code == 200


def test_template_download(client, world):
    client.force_login(world.dave)
    response = client.get("/problems/import/template.xlsx")
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="ledger-template.xlsx";')
    assert "filename*=utf-8''" + quote("问题台账导入模板.xlsx") in disposition
    workbook = load_workbook(io.BytesIO(response.content))
    sheet = workbook["问题台账"]
    header, example = list(sheet.iter_rows(values_only=True))[:2]
    assert list(header) == ledger_import.TEMPLATE_COLUMNS
    # The example names a unit in the user's own import scope, not a fixed code.
    code = example[header.index("组织代码")]
    assert (code, example[header.index("单位名称")]) == ("440103", "荔湾区委")
    assert workbook["选项"].sheet_state == "hidden"
    lists = {}
    for validation in sheet.data_validations.dataValidation:
        (cells,) = list(validation.sqref.ranges)
        lists[cells.coord.split(":")[0].rstrip("0123456789")] = validation.formula1
    column = {name: chr(ord("A") + i) for i, name in enumerate(header)}
    assert set(lists) == {column[n] for n in ("问题来源", "严重程度", "责任类型", "状态")}
    options = workbook["选项"]

    def values(formula: str) -> list[str]:
        cells = options[formula.split("!")[1].replace("$", "")]
        return [row[0].value for row in cells]

    assert "巡察" in values(lists[column["问题来源"]])
    assert values(lists[column["严重程度"]]) == ["一般", "较重", "严重"]
    assert values(lists[column["状态"]]) == ["待整改", "整改中"]
    assert "一岗双责" in values(lists[column["责任类型"]])


def test_the_template_example_follows_the_user(client, world):
    """The example unit is the top of the user's import scope (a superuser: the root); the
    upload page shows the same example. Without an import scope the unit is left blank."""
    client.force_login(world.root)
    book = load_workbook(io.BytesIO(client.get("/problems/import/template.xlsx").content))
    header, example = list(book["问题台账"].iter_rows(values_only=True))[:2]
    assert example[header.index("组织代码")] == "440000"
    page = client.get("/problems/import/").content.decode()
    assert "<td>440000</td><td>广东省委</td>" in page and "<td>440103</td>" not in page
    client.force_login(world.bob)
    book = load_workbook(io.BytesIO(client.get("/problems/import/template.xlsx").content))
    header, example = list(book["问题台账"].iter_rows(values_only=True))[:2]
    assert example[header.index("组织代码")] is None
    assert example[header.index("单位名称")] == "本单位名称"


# --- API ---------------------------------------------------------------------------------------


def api_upload(client, content: bytes, *, unit="440103", year=2025):
    return client.post(
        "/api/problems/import",
        {"file": SimpleUploadedFile("ledger.csv", content), "unit": unit, "year": year},
    )


@pytest.mark.smoke
def test_api_import_and_status(client, world, django_capture_on_commit_callbacks):
    client.force_login(world.dave)
    with django_capture_on_commit_callbacks(execute=True):
        response = api_upload(client, GOOD)
    assert response.status_code == 201, response.content
    job_id = response.json()["id"]
    body = client.get(f"/api/problems/import/{job_id}").json()
    assert body["status"] == "done"
    assert body["status_label"] == "已导入"
    assert (body["unit"], body["year"], body["created"], body["total_rows"]) == (
        "440103",
        2025,
        2,
        2,
    )
    assert (body["errors"], body["warnings"]) == ([], [])
    with django_capture_on_commit_callbacks(execute=True):
        # An extra 备注 column in front of every row.
        with_remarks = "备注,".encode() + GOOD.replace(b"\n", b"\n,")
        noted = api_upload(client, with_remarks, year=2023)
    body = client.get(f"/api/problems/import/{noted.json()['id']}").json()
    assert body["status"] == "done", body
    assert body["warnings"] == ["以下列未导入（列对应中为“不使用”）：备注。"]
    with django_capture_on_commit_callbacks(execute=True):
        failed = api_upload(client, BAD, year=2024).json()["id"]
    body = client.get(f"/api/problems/import/{failed}").json()
    assert body["status"] == "failed"
    assert body["errors"][0][:2] == [4, "问题来源"]
    assert body["warnings"] == []
    assert Problem.objects.count() == 4  # two in 2025, two in 2023; none of 2024


def test_api_refusals(client, world):
    client.force_login(world.carol)
    response = api_upload(client, GOOD, unit="440303")
    assert response.status_code == 403
    assert response.json()["detail"] == "您没有导入问题台账的权限。"
    client.force_login(world.dave)
    response = api_upload(client, GOOD, unit="nope")
    assert response.status_code == 422
    assert response.json()["errors"] == {"unit": ["没有找到该组织，或您无权向它导入问题。"]}
    job = ledger_import.create_import(
        actor=world.alice, unit=world.city_a, year=2025, file_name="a.csv", content=GOOD,
        enqueue=False,
    )  # fmt: skip
    assert client.get(f"/api/problems/import/{job.pk}").status_code == 404
    client.logout()
    assert api_upload(client, GOOD).status_code == 401
    assert not Problem.objects.exists()


def test_api_answers_a_unit_out_of_scope_like_a_code_that_does_not_exist(client, world):
    """An importer naming an existing unit outside their import scope gets the same 422 as for
    an unknown code: the answer does not tell that the unit exists elsewhere."""
    client.force_login(world.dave)  # inspector of county A1
    missing = api_upload(client, GOOD, unit="nope")
    for code in ("440303", "440100"):  # city B's county; dave's own city above his grant
        response = api_upload(client, GOOD, unit=code)
        assert response.status_code == 422, (code, response.content)
        assert response.json() == missing.json()
    assert not LedgerImport.objects.exists()


def test_the_upload_page_costs_the_same_queries_however_many_imports(
    client, world, django_assert_num_queries
):
    def add_jobs(count: int) -> None:
        for _ in range(count):
            ledger_import.create_import(
                actor=world.dave, unit=world.county_a1, year=2025, file_name="a.csv",
                content=GOOD, enqueue=False,
            )  # fmt: skip

    client.force_login(world.dave)
    add_jobs(1)
    client.get("/problems/import/")  # warm the session
    with django_assert_num_queries(QUERIES):
        assert client.get("/problems/import/").status_code == 200
    add_jobs(5)
    with django_assert_num_queries(QUERIES):
        page = client.get("/problems/import/").content.decode()
    assert page.count("/problems/import/") >= 6


# session, user, grants, import units, sources, recent imports
QUERIES = 6
