"""Pages: the list, editor (htmx add with a 留痕 refusal), derive form, printable report, grid,
unit and self scoring, adjustments — with query counts pinned on list and grid pages."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from shuzhi.accounts.models import Role
from shuzhi.assessment.indicators import services as svc
from shuzhi.assessment.indicators.models import (
    Adjustment,
    IndicatorItem,
    IndicatorSet,
    ItemScore,
    ScoreEvidence,
)
from shuzhi.core.testing import make_unit, make_user

pytestmark = pytest.mark.django_db


@pytest.mark.smoke
def test_editor_refuses_trace_item_through_htmx(client, world, county_type):
    client.force_login(world.alice)
    response = client.post(
        "/assessment/new/",
        {"host_code": "440000", "year": 2026, "assessed_type": county_type.pk, "title": ""},
    )
    s = IndicatorSet.objects.get()
    assert response.status_code == 302 and response.url == f"/assessment/{s.pk}/"
    data = {
        "item-code": "A1",
        "item-name": "党员学习强国学习时长",
        "item-max_points": "10",
        "item-kind": "process",
        "item-source": "manual",
    }
    preview = client.post(f"/assessment/{s.pk}/items/check/", data)
    assert "不予采用" in preview.content.decode() and "依据" in preview.content.decode()
    response = client.post(f"/assessment/{s.pk}/items/add/", data, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200 and 'id="editor"' in body
    assert "不予采用" in body and "整治形式主义为基层减负若干规定" in body
    assert not IndicatorItem.objects.exists()
    data["item-name"] = "党员发展质量"
    data["item-kind"] = "outcome"
    response = client.post(f"/assessment/{s.pk}/items/add/", data, HTTP_HX_REQUEST="true")
    assert "党员发展质量" in response.content.decode()
    assert IndicatorItem.objects.count() == 1


def test_list_scoped_paginated_with_pinned_queries(
    client, world, province_set, county_type, django_assert_num_queries
):
    for n in range(3):
        svc.create_set(
            actor=world.alice,
            host=world.city_a,
            year=2025,
            assessed_type=county_type,
            title=f"旧{n}",
        )
    client.force_login(world.alice)
    client.get("/assessment/")  # warm the session
    with django_assert_num_queries(5):
        response = client.get("/assessment/?year=2026")
    assert response.status_code == 200
    body = response.content.decode()
    assert province_set.title in body and "旧0" not in body
    client.force_login(world.carol)  # viewer of city B: the province's set is not hers
    assert province_set.title not in client.get("/assessment/").content.decode()
    assert client.get(f"/assessment/{province_set.pk}/").status_code == 404
    client.force_login(world.bob)  # secretary of city A sees it? no: the host is the province
    assert client.get(f"/assessment/{province_set.pk}/").status_code == 404


def test_derive_page_and_governance_report(client, world, province_set):
    client.force_login(world.alice)
    a1, a2, _a3, _a4 = province_set.items.order_by("sort_order")
    response = client.post(
        f"/assessment/{province_set.pk}/derive/",
        {
            "host_code": "440100",
            "title": "广州市委区县党建考核",
            f"keep_{a1.pk}": "1",
            f"points_{a1.pk}": "30",
            f"keep_{a2.pk}": "1",
        },
    )
    assert "层层加码" in response.content.decode()
    assert not IndicatorSet.objects.filter(title="广州市委区县党建考核").exists()
    response = client.post(
        f"/assessment/{province_set.pk}/derive/",
        {
            "host_code": "440100",
            "title": "广州市委区县党建考核",
            f"keep_{a1.pk}": "1",
            f"points_{a1.pk}": "15",
            f"keep_{a2.pk}": "1",
        },
    )
    child = IndicatorSet.objects.get(title="广州市委区县党建考核")
    assert response.url == f"/assessment/{child.pk}/"
    assert child.items.count() == 2
    report = client.get(f"/assessment/{child.pk}/governance/").content.decode()
    for title in ("指标数量超过本级上限", "层层加码", "以留痕评判工作", "多头考核"):
        assert title in report
    assert "未发现不符合减负规则的指标" in report and "2019" in report
    assert "assessment/print.js" in report


def _counties(world, n):
    return [make_unit(f"4401{n_:02d}X", f"测试区{n_}", "county", world.city_a) for n_ in range(n)]


def test_grid_query_count_does_not_grow_with_units(
    client, world, province_set, django_assert_num_queries
):
    client.force_login(world.alice)
    url = f"/assessment/{province_set.pk}/scores/"
    client.get(url)
    with django_assert_num_queries(10):
        small = client.get(url)
    _counties(world, 20)
    with django_assert_num_queries(10):
        large = client.get(url)
    assert small.status_code == large.status_code == 200
    assert "测试区19" in large.content.decode()
    assert "共 23 个考核对象" in large.content.decode()


def test_unit_scoring_and_adjustment_approval(client, world, province_set):
    client.force_login(world.alice)
    a1 = province_set.items.get(code="A1")
    url = f"/assessment/{province_set.pk}/scores/{world.county_a1.pk}/"
    response = client.post(url, {"action": "score", f"points_{a1.pk}": "25"})
    assert "0 到 20.00" in response.content.decode()
    client.post(url, {"action": "score", f"points_{a1.pk}": "18", f"comment_{a1.pk}": "好"})
    assert ItemScore.objects.get().host_points == 18
    client.post(
        url,
        {
            "action": "adjust",
            "adj-kind": "deduction",
            "adj-points": "2",
            "adj-reason": "发生违反中央八项规定精神问题",
        },
    )
    adj = Adjustment.objects.get()
    page = client.get(f"/assessment/{province_set.pk}/adjustments/").content.decode()
    assert "须由他人审批" in page
    client.post(
        f"/assessment/{province_set.pk}/adjustments/{adj.pk}/decide/", {"decision": "approve"}
    )
    adj.refresh_from_db()
    assert adj.status == "pending"
    other = make_user("ivy", (Role.ORGANISER, world.province))
    client.force_login(other)
    client.post(
        f"/assessment/{province_set.pk}/adjustments/{adj.pk}/decide/", {"decision": "approve"}
    )
    adj.refresh_from_db()
    assert adj.status == "approved" and adj.approver == other
    assert "16.00" in client.get(f"/assessment/{province_set.pk}/scores/").content.decode()
    # Not a unit of this set: 404.
    assert client.get(f"/assessment/{province_set.pk}/scores/{world.city_a.pk}/").status_code == 404


def test_self_scoring_page_with_optional_evidence(client, world, province_set):
    sec = make_user("hank", (Role.SECRETARY, world.county_a1))
    client.force_login(sec)
    assert (
        f"/assessment/{province_set.pk}/self/{world.county_a1.pk}/"
        in client.get("/assessment/").content.decode()
    )
    a1 = province_set.items.get(code="A1")
    url = f"/assessment/{province_set.pk}/self/{world.county_a1.pk}/"
    client.post(url, {"action": "submit", f"points_{a1.pk}": "19", f"note_{a1.pk}": "达标"})
    assert ItemScore.objects.get().self_points == 19
    bad = SimpleUploadedFile("x.pdf", b"not a pdf", content_type="application/pdf")
    response = client.post(url, {"item": a1.pk, "file": bad})
    assert response.status_code == 200 and not ScoreEvidence.objects.exists()
    good = SimpleUploadedFile("说明.pdf", b"%PDF-1.4\n%test\n", content_type="application/pdf")
    client.post(url, {"item": a1.pk, "file": good})
    evidence = ScoreEvidence.objects.get()
    assert client.get(f"/assessment/evidence/{evidence.pk}/").status_code == 200
    # The secretary of another county may not read it, nor this unit's sheet.
    client.force_login(make_user("jack", (Role.SECRETARY, world.county_a2)))
    assert client.get(f"/assessment/evidence/{evidence.pk}/").status_code == 404
    assert client.get(url).status_code == 404
    # bob, secretary of the city above, does not read the province's sets: not in his sight.
    client.force_login(world.bob)
    assert client.post(url, {f"points_{a1.pk}": "1"}).status_code == 404


def test_adjustments_list_filtered_with_pinned_queries(
    client, world, province_set, django_assert_num_queries
):
    for unit in (world.county_a1, world.county_a2, world.county_b1):
        svc.request_adjustment(
            actor=world.alice,
            indicator_set=province_set,
            unit=unit,
            kind="bonus",
            points=1,
            reason=f"{unit.name}获评先进基层党组织",
        )
    client.force_login(world.alice)
    url = f"/assessment/{province_set.pk}/adjustments/"
    client.get(url)
    with django_assert_num_queries(6):
        response = client.get(url + "?status=pending")
    body = response.content.decode()
    assert body.count("须由他人审批") == 3
    assert "获评先进" not in client.get(url + "?status=approved").content.decode()


def test_item_edit_page_refuses_trace_text_and_saves_the_rest(client, world, county_type):
    s = svc.create_set(actor=world.alice, host=world.province, year=2026, assessed_type=county_type)
    item = svc.add_item(
        actor=world.alice, indicator_set=s, code="A1", name="党员发展质量", max_points=10
    )
    client.force_login(world.alice)
    url = f"/assessment/{s.pk}/items/{item.pk}/edit/"
    data = {
        "code": "A1",
        "name": "党员发展质量",
        "max_points": "8",
        "kind": "outcome",
        "source": "manual",
        "scoring_guide": "按上报照片数量计分",
    }
    response = client.post(url, data)
    assert response.status_code == 200 and "不予采用" in response.content.decode()
    item.refresh_from_db()
    assert item.max_points == 10 and item.scoring_guide == ""
    data["scoring_guide"] = "按发展党员计划完成率和结构优化情况计分"
    assert client.post(url, data).status_code == 302
    item.refresh_from_db()
    assert item.max_points == 8
    client.force_login(world.carol)
    assert client.get(url).status_code == 404
