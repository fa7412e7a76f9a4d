"""The report pages: who sees what (404 / 403), the editor saving and submitting, the htmx
checklist, review actions, versions, attachments, Word and the archive; query counts pinned on
the list pages."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from docx import Document

from shuzhi.cycles import services as cycle_services
from shuzhi.reports.reports import services
from shuzhi.reports.reports.models import Report, ReportStatus

from .conftest import answer_all, load_sample, with_problems

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def report(world, reporter_a, last_year_problems):
    return with_problems(services.ensure_report(actor=world.bob, reporter=reporter_a))


def _login(client, user):
    client.force_login(user)
    return client


def _edit_data(report, **extra):
    data = {
        "title": report.title,
        "section_performance": "",
        "section_problems": (report.sections or {}).get("problems", ""),
        "section_next_steps": "",
    }
    for i in range(len(report.indicators) + 2):
        for key in ("name", "value", "unit", "note"):
            data[f"ind_{i}_{key}"] = ""
    for row in report.carried.all():
        data[f"carried_{row.problem_id}_answer"] = ""
        data[f"carried_{row.problem_id}_evidence"] = ""
    data.update(extra)
    return data


def test_start_then_edit_and_save(client, world, reporter_a, last_year_problems):
    _login(client, world.bob)
    index = client.get(reverse("report_index"))
    assert "开始撰写" in index.content.decode()
    response = client.post(reverse("report_start", args=[reporter_a.pk]))
    report = Report.objects.get()
    assert response.url == reverse("report_edit", args=[report.pk])
    page = client.get(response.url)
    text = page.content.decode()
    assert "软弱涣散村党组织整顿转化不彻底" in text and "质量检查" in text
    sample = load_sample("good_report.txt")
    data = _edit_data(
        report,
        section_performance=sample["performance"],
        section_problems=sample["problems"],
        ind_0_name="转化率",
        ind_0_value="95.7",
        ind_0_unit="%",
    )
    response = client.post(reverse("report_edit", args=[report.pk]), data)
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.sections["performance"] == sample["performance"]
    assert report.indicators[0]["name"] == "转化率"


def test_htmx_save_returns_the_checklist(client, world, report):
    _login(client, world.bob)
    sample = load_sample("praise_report.txt")
    response = client.post(
        reverse("report_edit", args=[report.pk]),
        _edit_data(report, section_performance=sample["performance"]),
        HTTP_HX_REQUEST="true",
    )
    text = response.content.decode()
    assert response.status_code == 200
    assert "草稿已自动保存" in text and 'data-check="specific_problems"' in text
    assert 'data-check="praise_in_problems"' in text and "查摆问题" in text
    assert "<html" not in text
    response = client.post(
        reverse("report_edit", args=[report.pk]),
        _edit_data(report, title=""),
        HTTP_HX_REQUEST="true",
    )
    assert "草稿未能保存" in response.content.decode()


def test_submit_refused_on_the_page_until_carried_items_answered(client, world, report):
    _login(client, world.bob)
    data = _edit_data(report, action="submit")
    response = client.post(reverse("report_edit", args=[report.pk]), data)
    assert response.status_code == 200
    assert "还有 2 项上年度问题" in response.content.decode()
    assert Report.objects.get().status == ReportStatus.DRAFT
    for key, value in answer_all(report).items():
        data[f"carried_{key}_answer"] = value["answer"]
        data[f"carried_{key}_evidence"] = value["evidence"]
    response = client.post(reverse("report_edit", args=[report.pk]), data)
    assert response.status_code == 302
    assert Report.objects.get().status == ReportStatus.SUBMITTED


def test_review_return_with_comment_and_accept(client, world, report):
    services.save_draft(actor=world.bob, report=report, carried=answer_all(report))
    services.submit(actor=world.bob, report=report)
    _login(client, world.alice)
    page = client.get(reverse("report_detail", args=[report.pk])).content.decode()
    assert "退回修改" in page and "审核通过" in page
    client.post(reverse("report_review", args=[report.pk]), {"status": "returned", "comment": ""})
    assert Report.objects.get().status == ReportStatus.SUBMITTED
    client.post(
        reverse("report_review", args=[report.pk]), {"status": "returned", "comment": "补充数据。"}
    )
    assert Report.objects.get().status == ReportStatus.RETURNED
    _login(client, world.bob)
    edit = client.get(reverse("report_edit", args=[report.pk])).content.decode()
    assert "补充数据。" in edit
    client.post(reverse("report_submit", args=[report.pk]))
    _login(client, world.alice)
    client.post(reverse("report_review", args=[report.pk]), {"status": "accepted"})
    assert Report.objects.get().status == ReportStatus.ACCEPTED
    versions = client.get(reverse("report_versions", args=[report.pk])).content.decode()
    assert "第 1 版 → 第 2 版" in versions


@pytest.mark.parametrize(
    "name, detail, edit, review",
    [
        ("bob", 200, 200, 403),
        # The host's organiser reviews once it is submitted; a draft is hidden from her.
        ("alice", 404, 404, 404),
        ("carol", 404, 404, 404),
        ("dave", 404, 404, 404),
        ("erin", 404, 404, 404),
    ],
)
def test_page_permissions(client, world, report, name, detail, edit, review):
    _login(client, getattr(world, name))
    assert client.get(reverse("report_detail", args=[report.pk])).status_code == detail
    assert client.get(reverse("report_edit", args=[report.pk])).status_code == edit
    response = client.post(reverse("report_review", args=[report.pk]), {"status": "accepted"})
    assert response.status_code == review
    assert Report.objects.get().status == ReportStatus.DRAFT


def test_anonymous_is_sent_to_login(client, report):
    response = client.get(reverse("report_detail", args=[report.pk]))
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_start_refused_to_the_reviewer_and_hidden_from_strangers(client, world, reporter_a):
    _login(client, world.alice)
    assert client.post(reverse("report_start", args=[reporter_a.pk])).status_code == 403
    _login(client, world.erin)
    assert client.post(reverse("report_start", args=[reporter_a.pk])).status_code == 404
    assert not Report.objects.exists()


def test_start_refused_to_who_sees_the_report_through_the_host(client, world):
    """County A1 hears the township: bob (secretary of city A) reaches the township only
    through the round's host, sees its report, and so is refused (403), not misled (404)."""
    round = cycle_services.create_round(actor=world.alice, host=world.county_a1, year=2026)
    cycle_services.add_reporters_by_codes(actor=world.alice, round=round, codes="440103001")
    reporter = round.reporters.get(unit=world.township_a1x)
    _login(client, world.bob)
    response = client.post(reverse("report_start", args=[reporter.pk]))
    assert response.status_code == 403
    _login(client, world.carol)  # city B: neither the township nor its host
    assert client.post(reverse("report_start", args=[reporter.pk])).status_code == 404
    assert not Report.objects.exists()


def test_attachments_upload_download_delete(client, world, report, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    _login(client, world.bob)
    upload = SimpleUploadedFile("纪要.pdf", PDF, content_type="application/pdf")
    client.post(reverse("report_attachment_upload", args=[report.pk]), {"file": upload})
    attachment = report.attachments.get()
    response = client.get(reverse("report_attachment", args=[report.pk, attachment.pk]))
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Disposition"].startswith("attachment")
    bad = SimpleUploadedFile("病毒.pdf", b"MZ\x90\x00", content_type="application/pdf")
    response = client.post(
        reverse("report_attachment_upload", args=[report.pk]), {"file": bad}, follow=True
    )
    assert "文件内容与扩展名" in response.content.decode()
    _login(client, world.erin)
    url = reverse("report_attachment", args=[report.pk, attachment.pk])
    assert client.get(url).status_code == 404
    _login(client, world.bob)
    client.post(reverse("report_attachment_delete", args=[report.pk, attachment.pk]))
    assert not report.attachments.exists()


def test_word_and_archive_downloads(client, world, report, round_2026):
    services.save_draft(
        actor=world.bob,
        report=report,
        sections=load_sample("good_report.txt"),
        carried=answer_all(report),
    )
    services.submit(actor=world.bob, report=report)
    _login(client, world.alice)
    response = client.get(reverse("report_word", args=[report.pk]))
    doc = Document(io.BytesIO(response.content))
    assert doc.paragraphs[0].text == report.title
    response = client.get(reverse("report_round_archive", args=[round_2026.pk]))
    with zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))) as zipped:
        assert zipped.namelist() == ["广州市委-2026年度述职报告.docx"]
    _login(client, world.dave)
    assert client.get(reverse("report_round_archive", args=[round_2026.pk])).status_code == 404


def _many_reports(world, round_2026, n=12):
    from shuzhi.core.testing import make_unit
    from shuzhi.cycles.models import RoundReporter

    for i in range(n):
        unit = make_unit(f"44990{i:02d}", f"测试单位{i}", "county", world.province)
        reporter = RoundReporter.objects.create(round=round_2026, unit=unit, sort_order=10 + i)
        Report.objects.create(reporter=reporter, title=f"报告{i}", status=ReportStatus.SUBMITTED)


def test_round_list_filters_and_pins_queries(
    client, world, round_2026, report, django_assert_num_queries
):
    _many_reports(world, round_2026)
    _login(client, world.alice)
    url = reverse("report_round", args=[round_2026.pk])
    client.get(url)  # warm the session
    # session, user, round, grants, status counts, count, the page's ids, the page's rows
    with django_assert_num_queries(8) as queries:
        response = client.get(url)
    # The list shows a report's state, never its body: 3,000 bodies would cost more than the page.
    assert not any('"sections"' in q["sql"] for q in queries.captured_queries)
    text = response.content.decode()
    assert "测试单位3" in text and "深圳市委" in text and "未提交" in text
    text = client.get(url, {"status": "none"}).content.decode()
    assert "深圳市委" in text and "测试单位3" not in text
    text = client.get(url, {"q": "测试单位1"}).content.decode()
    assert "测试单位1" in text and "测试单位2" not in text
    _login(client, world.carol)
    assert client.get(url).status_code == 404


def test_round_list_pages_keep_order_filters_and_query_count(
    client, world, round_2026, report, django_assert_num_queries
):
    _many_reports(world, round_2026, 45)
    _login(client, world.alice)
    url = reverse("report_round", args=[round_2026.pk])
    client.get(url)
    with django_assert_num_queries(8):
        second = client.get(url, {"q": "测试单位", "status": "submitted", "page": 2})
    text = second.content.decode()
    # 45 matches, 30 a page: the second page holds the last 15, in sort order, and its links
    # keep the search and the filter.
    assert "测试单位30" in text and "测试单位44" in text and "测试单位29" not in text
    assert text.index("测试单位30") < text.index("测试单位44")
    assert "q=%E6%B5%8B%E8%AF%95%E5%8D%95%E4%BD%8D&amp;status=submitted&amp;page=1" in text


def test_index_pins_queries_and_paginates(
    client, world, round_2026, report, django_assert_num_queries
):
    _many_reports(world, round_2026, n=35)
    _login(client, world.alice)
    url = reverse("report_index")
    client.get(url)
    # session, user, grants, count, page, reviewable rounds (no report to write: no query)
    with django_assert_num_queries(6):
        response = client.get(url)
    text = response.content.decode()
    assert "第 1 / 2 页" in text
    # 广州市委's report is a draft: it stays with its writer until submitted.
    text = client.get(url, {"status": "draft"}).content.decode()
    assert "广州市委" not in text and "测试单位" not in text
    _login(client, world.bob)
    text = client.get(url, {"status": "draft"}).content.decode()
    assert "广州市委" in text and "测试单位" not in text


def test_a_large_round_is_archived_in_the_background(
    client, world, report, round_2026, settings, tmp_path
):
    from shuzhi.core.models import Notification

    settings.MEDIA_ROOT = tmp_path
    settings.SHUZHI_REPORT_ARCHIVE_INLINE_MAX = 0
    services.save_draft(actor=world.bob, report=report, carried=answer_all(report))
    services.submit(actor=world.bob, report=report)
    _login(client, world.alice)
    url = reverse("report_round_archive", args=[round_2026.pk])
    assert client.get(url).status_code == 302  # a GET never starts the work
    response = client.post(url, follow=True)
    assert "正在后台打包" in response.content.decode()
    notice = Notification.objects.get(user=world.alice, kind="report.archive")
    assert "1 份" in notice.body
    response = client.get(notice.url)
    with zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))) as zipped:
        assert zipped.namelist() == ["广州市委-2026年度述职报告.docx"]
    page = client.get(reverse("report_round", args=[round_2026.pk])).content.decode()
    assert notice.url in page
    bad = reverse("report_round_archive_file", args=[round_2026.pk, "..%2Fsecret.zip"])
    assert client.get(bad).status_code == 404
    _login(client, world.carol)
    assert client.get(notice.url).status_code == 404


def test_must_answer_topics_are_edited_and_checked(client, world, report, round_2026):
    round_2026.report_topics = [
        {"code": "weak", "title": "软弱涣散基层党组织整顿", "hint": "写明排查、转化的数字"}
    ]
    round_2026.save()
    _login(client, world.bob)
    page = client.get(reverse("report_edit", args=[report.pk])).content.decode()
    assert "软弱涣散基层党组织整顿" in page and "写明排查、转化的数字" in page
    assert 'data-check="topics" data-level="warn"' in page
    answer = "我们排查确定软弱涣散党组织47个，已转化45个，剩余2个由我挂点包联，2026年6月底前完成。"
    data = _edit_data(report, topic_weak=answer * 2)
    response = client.post(reverse("report_edit", args=[report.pk]), data, HTTP_HX_REQUEST="true")
    assert 'data-check="topics" data-level="ok"' in response.content.decode()
    report.refresh_from_db()
    assert report.topic_answers == {"weak": answer * 2}
