"""The report's write path: creation with carried items, drafts, every status move allowed and
refused, versions, events, attachments and the audit trail."""

from __future__ import annotations

import itertools

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from shuzhi.core.models import AuditEntry, Notification
from shuzhi.reports.reports import services
from shuzhi.reports.reports.models import (
    CarriedAnswer,
    Report,
    ReportAttachment,
    ReportEvent,
    ReportStatus,
    ReportVersion,
)
from shuzhi.reports.transitions import REPORT

from .conftest import PROBLEMS, answer_all, load_sample, with_problems

S = ReportStatus
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def report(world, reporter_a, last_year_problems):
    return with_problems(services.ensure_report(actor=world.bob, reporter=reporter_a))


def test_ensure_report_creates_once_with_last_years_items(world, reporter_a, last_year_problems):
    report = services.ensure_report(actor=world.bob, reporter=reporter_a)
    assert report.title == "广州市委书记2026年度抓基层党建工作述职报告"
    carried = {row.problem.description for row in report.carried.select_related("problem")}
    assert carried == {"软弱涣散村党组织整顿转化不彻底", "基层报表台账过多，减负不到位"}
    again = services.ensure_report(actor=world.bob, reporter=reporter_a)
    assert again.pk == report.pk
    assert Report.objects.count() == 1
    assert CarriedAnswer.objects.count() == 2
    assert AuditEntry.objects.filter(action="report.create").count() == 1


def test_ensure_report_adds_items_recorded_later_while_draft(world, report, reporter_a):
    import datetime

    from shuzhi.rectification import services as rs

    rs.create_problem(
        actor=world.alice,
        unit=world.city_a,
        description="巡察反馈：发展党员程序不规范",
        source="xuncha",
        found_on=datetime.date(2025, 9, 1),
        year=2025,
    )
    services.ensure_report(actor=world.bob, reporter=reporter_a)
    assert report.carried.count() == 3
    Report.objects.filter(pk=report.pk).update(status=S.SUBMITTED)
    rs.create_problem(
        actor=world.alice,
        unit=world.city_a,
        description="巡察反馈：三会一课不经常",
        source="xuncha",
        found_on=datetime.date(2025, 10, 1),
        year=2025,
    )
    services.ensure_report(actor=world.bob, reporter=reporter_a)
    assert report.carried.count() == 3  # a submitted report keeps what it answered


def test_ensure_report_refused_to_others(world, reporter_a):
    for user in (world.alice, world.carol, world.dave, world.erin):
        with pytest.raises(PermissionDenied):
            services.ensure_report(actor=user, reporter=reporter_a)
    assert not Report.objects.exists()


def test_save_draft_merges_parts_and_audits_field_names_only(world, report):
    sections = load_sample("good_report.txt")
    services.save_draft(actor=world.bob, report=report, sections=sections)
    services.save_draft(
        actor=world.bob,
        report=report,
        sections={"next_steps": "一是压实责任。"},
        indicators=[
            {"name": "软弱涣散党组织转化率", "value": "95.7", "unit": "%", "note": ""},
            {"name": "", "value": "", "unit": "", "note": ""},
        ],
        carried=answer_all(report),
    )
    report.refresh_from_db()
    assert report.sections["performance"] == sections["performance"]
    assert report.sections["next_steps"] == "一是压实责任。"
    assert report.indicators == [
        {"name": "软弱涣散党组织转化率", "value": "95.7", "unit": "%", "note": ""}
    ]
    assert all(row.is_answered for row in report.carried.all())
    entries = list(AuditEntry.objects.filter(action="report.save").order_by("id"))
    assert len(entries) == 2
    fields = entries[1].changes["fields"][1]
    assert "sections.next_steps" in fields and "indicators" in fields
    assert any(f.startswith("carried.") for f in fields)
    # Never the text itself.
    assert "一是压实责任" not in str(entries[1].changes)
    assert sections["performance"][:20] not in str(entries[0].changes)


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"sections": {"bogus": "x"}}, "sections"),
        ({"sections": {"performance": "字" * 30_001}}, "sections"),
        ({"sections": {"performance": 12}}, "sections"),
        ({"topic_answers": {"nope": "x"}}, "topic_answers"),
        ({"indicators": [{"name": "", "value": "5"}]}, "indicators"),
        ({"indicators": "table"}, "indicators"),
        ({"carried": {"999999": {"answer": "x"}}}, "carried"),
        ({"title": "  "}, "title"),
    ],
)
def test_save_draft_refuses_bad_input_and_changes_nothing(world, report, kwargs, field):
    before = Report.objects.get(pk=report.pk)
    with pytest.raises(ValidationError) as exc:
        services.save_draft(actor=world.bob, report=report, **kwargs)
    assert field in exc.value.message_dict
    after = Report.objects.get(pk=report.pk)
    assert (after.sections, after.indicators, after.title) == (
        before.sections,
        before.indicators,
        before.title,
    )
    assert not AuditEntry.objects.filter(action="report.save").exists()


def test_submit_refused_with_unanswered_carried_items_lists_them(world, report):
    with pytest.raises(ValidationError) as exc:
        services.submit(actor=world.bob, report=report)
    message = exc.value.message_dict["carried"][0]
    assert "还有 2 项上年度问题" in message and "软弱涣散村党组织" in message
    report.refresh_from_db()
    assert report.status == S.DRAFT and report.version == 0
    assert not ReportVersion.objects.exists() and not ReportEvent.objects.exists()


def test_full_flow_keeps_versions_and_events(world, report):
    services.save_draft(
        actor=world.bob,
        report=report,
        sections={"performance": "初稿", **PROBLEMS},
        carried=answer_all(report),
    )
    services.submit(actor=world.bob, report=report)
    with pytest.raises(ValidationError) as exc:
        services.return_report(actor=world.alice, report=report, comment="  ")
    assert "comment" in exc.value.message_dict
    services.return_report(actor=world.alice, report=report, comment="问题查摆不够深入。")
    services.save_draft(actor=world.bob, report=report, sections={"performance": "修改稿"})
    services.resubmit(actor=world.bob, report=report)
    services.accept(actor=world.alice, report=report)
    report.refresh_from_db()
    assert report.status == S.ACCEPTED and report.version == 2
    assert report.accepted_at is not None and report.reviewer == world.alice
    versions = list(report.versions.order_by("number"))
    assert [v.content["sections"]["performance"] for v in versions] == ["初稿", "修改稿"]
    assert versions[0].content["carried"][0]["answer"] == "已完成整改，建立长效机制。"
    events = list(report.events.values_list("from_status", "to_status", "comment", "version"))
    assert events == [
        (S.DRAFT, S.SUBMITTED, "", 1),
        (S.SUBMITTED, S.RETURNED, "问题查摆不够深入。", 1),
        (S.RETURNED, S.SUBMITTED, "", 2),
        (S.SUBMITTED, S.ACCEPTED, "", 2),
    ]
    actions = list(
        AuditEntry.objects.filter(object_type="reports.report")
        .exclude(action__in=["report.create", "report.save"])
        .values_list("action", flat=True)
        .order_by("id")
    )
    assert actions == ["report.submit", "report.return", "report.resubmit", "report.accept"]
    inbox = list(Notification.objects.filter(user=world.bob).order_by("id"))
    assert [n.title[:7] for n in inbox] == ["述职报告被退回", "述职报告已审核"]
    assert inbox[0].body == "问题查摆不够深入。"
    assert inbox[0].url == f"/reports/{report.pk}/"
    with pytest.raises(ValidationError):
        services.save_draft(actor=world.bob, report=report, sections={"performance": "再改"})


def test_the_table_is_what_the_flow_diagram_says():
    assert set(REPORT.table) == {
        (S.DRAFT, S.SUBMITTED),
        (S.RETURNED, S.SUBMITTED),
        (S.SUBMITTED, S.RETURNED),
        (S.SUBMITTED, S.ACCEPTED),
    }
    send_back = REPORT.get(S.SUBMITTED, S.RETURNED)
    assert send_back is not None and send_back.requires_reason


@pytest.mark.parametrize(
    "frm, to", [p for p in itertools.product(S.values, S.values) if p[0] != p[1]]
)
def test_every_move_allowed_or_refused_per_table(world, report, frm, to):
    services.save_draft(actor=world.bob, report=report, carried=answer_all(report))
    Report.objects.filter(pk=report.pk).update(status=frm)
    report.refresh_from_db()
    move = REPORT.get(frm, to)
    actor = world.bob if to == S.SUBMITTED else world.alice
    if move is None:
        with pytest.raises(ValidationError) as exc:
            services.transition(actor=actor, report=report, to_status=to, comment="意见")
        assert "status" in exc.value.message_dict
        report.refresh_from_db()
        assert report.status == frm
        assert not ReportEvent.objects.exists()
    else:
        services.transition(actor=actor, report=report, to_status=to, comment="请补充数据。")
        report.refresh_from_db()
        assert report.status == to
        assert ReportEvent.objects.get().to_status == to


@pytest.mark.parametrize("status", [S.DRAFT, S.RETURNED])
def test_writer_moves_refused_to_reviewer_and_back(world, report, status):
    services.save_draft(actor=world.bob, report=report, carried=answer_all(report))
    Report.objects.filter(pk=report.pk).update(status=status)
    with pytest.raises(PermissionDenied):
        services.submit(actor=world.alice, report=report)
    Report.objects.filter(pk=report.pk).update(status=S.SUBMITTED)
    with pytest.raises(PermissionDenied):
        services.accept(actor=world.bob, report=report)
    with pytest.raises(PermissionDenied):
        services.return_report(actor=world.bob, report=report, comment="x")
    for outsider in (world.carol, world.dave, world.erin):
        with pytest.raises(PermissionDenied):
            services.accept(actor=outsider, report=report)


def test_resubmit_only_from_returned(world, report):
    services.save_draft(actor=world.bob, report=report, carried=answer_all(report))
    with pytest.raises(ValidationError):
        services.resubmit(actor=world.bob, report=report)


def test_attachments_added_and_removed_only_while_editable(world, report, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    pdf = SimpleUploadedFile("会议纪要.pdf", PDF, content_type="application/pdf")
    attachment = services.add_attachment(actor=world.bob, report=report, upload=pdf)
    assert attachment.kind == "document" and attachment.size == len(PDF)
    stored = tmp_path / attachment.file.name
    assert stored.read_bytes() == PDF
    fake = SimpleUploadedFile("照片.jpg", b"<html>not a photo</html>", content_type="image/jpeg")
    with pytest.raises(ValidationError) as exc:
        services.add_attachment(actor=world.bob, report=report, upload=fake)
    assert "file" in exc.value.message_dict
    settings.SHUZHI_ATTACHMENT_MAX_BYTES = 10
    big = SimpleUploadedFile("大文件.pdf", PDF, content_type="application/pdf")
    with pytest.raises(ValidationError) as exc:
        services.add_attachment(actor=world.bob, report=report, upload=big)
    assert "太大" in exc.value.message_dict["file"][0]
    assert ReportAttachment.objects.count() == 1
    with pytest.raises(PermissionDenied):
        services.delete_attachment(actor=world.alice, attachment=attachment)
    Report.objects.filter(pk=report.pk).update(status=S.SUBMITTED)
    with pytest.raises(ValidationError):
        services.delete_attachment(actor=world.bob, attachment=attachment)
    Report.objects.filter(pk=report.pk).update(status=S.RETURNED)
    services.delete_attachment(actor=world.bob, attachment=ReportAttachment.objects.get())
    assert not ReportAttachment.objects.exists()
    assert list(
        AuditEntry.objects.filter(action__in=["report.attach", "report.detach"])
        .values_list("action", flat=True)
        .order_by("id")
    ) == ["report.attach", "report.detach"]
