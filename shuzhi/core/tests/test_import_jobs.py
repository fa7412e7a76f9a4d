"""The shared import-job runner and job pages, across the unit, post and ledger imports."""

from __future__ import annotations

import pytest
from django.urls import reverse

from shuzhi.core.bulk import jobs
from shuzhi.core.models import AuditEntry
from shuzhi.orgs.imports import units as importing
from shuzhi.orgs.imports.models import ImportJob, ImportKind, ImportStatus
from shuzhi.orgs.people.models import Post
from shuzhi.orgs.tree.models import Unit
from shuzhi.rectification import ledger_import

pytestmark = pytest.mark.django_db

UNITS = b"code,name,parent_code,type\n440104001,\xe5\x8c\x97\xe4\xba\xac,440104,subdistrict\n"
POSTS = (
    "unit_code,person_name,staff_number,role,start_date,end_date\n440103,张三,,书记,2021-01-01,\n"
)
LEDGER = (
    "组织代码,问题来源,问题描述,严重程度,发现日期\n440103,巡察,组织生活会流于形式,一般,2025-03-15\n"
)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _jobs_of_every_kind(world):
    units = importing.create_job(
        actor=world.alice, file_name="units.csv", content=UNITS, enqueue=False
    )
    posts = importing.create_job(
        actor=world.alice,
        file_name="posts.csv",
        content=POSTS.encode(),
        kind=ImportKind.POSTS,
        enqueue=False,
    )
    ledger = ledger_import.create_import(
        actor=world.alice,
        unit=world.province,
        year=2025,
        file_name="ledger.csv",
        content=LEDGER.encode(),
        enqueue=False,
    )
    return units, posts, ledger


def test_every_import_is_a_plug_in_of_the_runner():
    assert {importer.kind for importer in jobs.importers()} >= {"units", "posts", "ledger"}
    for importer in jobs.importers():
        assert importer.title and importer.label


def test_the_runner_runs_every_kind_and_a_finished_job_never_again(world):
    units, posts, ledger = _jobs_of_every_kind(world)
    assert jobs.run("units", units.pk).status == ImportStatus.DONE
    assert jobs.run("posts", posts.pk).status == ImportStatus.DONE
    assert jobs.run("ledger", ledger.pk).status == "done"
    assert Unit.objects.filter(code="440104001").exists()
    assert Post.objects.count() == 1
    assert ledger_import.run_import(ledger.pk).created_count == 1
    entries = AuditEntry.objects.count()
    for kind, job in (("units", units), ("posts", posts), ("ledger", ledger)):
        jobs.run(kind, job.pk)
    assert AuditEntry.objects.count() == entries
    assert Post.objects.count() == 1


def test_an_internal_error_is_recorded_and_writes_nothing(world, monkeypatch):
    job = importing.create_job(
        actor=world.alice, file_name="units.csv", content=UNITS, enqueue=False
    )
    importer = jobs.importer_for("units")

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(type(importer), "succeed", broken)
    job = jobs.run("units", job.pk)
    assert job.status == ImportStatus.FAILED
    assert job.errors == [[0, "", jobs.INTERNAL_ERROR]]
    assert not Unit.objects.filter(code="440104001").exists()


def test_small_files_run_inline_and_large_ones_on_the_worker(
    world, settings, monkeypatch, django_capture_on_commit_callbacks
):
    queued = []
    monkeypatch.setattr(jobs, "_enqueue", lambda kind, job_id: queued.append((kind, job_id)))
    settings.SHUZHI_IMPORT_INLINE_BYTES = len(UNITS)
    with django_capture_on_commit_callbacks(execute=True):
        small = importing.create_job(actor=world.alice, file_name="units.csv", content=UNITS)
    small.refresh_from_db()
    assert small.status == ImportStatus.DONE and queued == []
    settings.SHUZHI_IMPORT_INLINE_BYTES = len(UNITS) - 1
    with django_capture_on_commit_callbacks(execute=True):
        large = importing.create_job(actor=world.alice, file_name="units.csv", content=UNITS)
    large.refresh_from_db()
    assert large.status == ImportStatus.QUEUED
    assert queued == [("units", large.pk)]


def test_the_job_list_shows_the_users_own_imports_of_every_kind(client, world):
    units, posts, ledger = _jobs_of_every_kind(world)
    client.force_login(world.alice)
    html = client.get(reverse("import_jobs")).content.decode()
    assert reverse("import_job", args=[units.pk]) in html
    assert reverse("import_job_detail_any", args=["posts", posts.pk]) in html
    assert reverse("problem_import_job", args=[ledger.pk]) in html
    # Each upload page lists its own kind, each job linked to its own pages.
    unit_page = client.get(reverse("unit_import")).content.decode()
    assert "units.csv" in unit_page and "posts.csv" not in unit_page
    client.force_login(world.bob)
    html = client.get(reverse("import_jobs")).content.decode()
    assert "units.csv" not in html and "ledger.csv" not in html
    client.logout()
    assert client.get(reverse("import_jobs")).status_code == 302


def test_shared_job_pages_answer_404_outside_the_users_jobs(client, world):
    _units, posts, _ledger = _jobs_of_every_kind(world)
    jobs.run("posts", posts.pk)
    client.force_login(world.alice)
    detail = client.get(reverse("import_job_detail_any", args=["posts", posts.pk]))
    assert detail.status_code == 200
    assert "新增职务 1 条" in detail.content.decode()
    assert client.get(reverse("import_job_detail_any", args=["nope", posts.pk])).status_code == 404
    # A job is found under its own kind only.
    assert client.get(reverse("import_job", args=[posts.pk])).status_code == 404
    client.force_login(world.bob)
    for name in ("import_job_detail_any", "import_job_status_any", "import_job_errors_any"):
        assert client.get(reverse(name, args=["posts", posts.pk])).status_code == 404


def test_a_post_import_job_keeps_its_error_report(client, world):
    job = importing.create_job(
        actor=world.alice,
        file_name="posts.csv",
        content=(POSTS + "440103,李四,,主任,2021-01-01,\n").encode(),
        kind=ImportKind.POSTS,
        enqueue=False,
    )
    job = jobs.run("posts", job.pk)
    assert job.status == ImportStatus.FAILED
    assert not Post.objects.exists()
    client.force_login(world.alice)
    report = client.get(reverse("import_job_errors_any", args=["posts", job.pk]))
    assert "主任" in report.content.decode("utf-8-sig")
    assert ImportJob.objects.get(pk=job.pk).kind == ImportKind.POSTS
