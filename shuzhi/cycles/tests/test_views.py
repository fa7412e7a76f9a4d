"""Round pages: scoped list with search and pinned query count, 404 outside scope, 403 for
readers on change pages, creating a round, editing policies, choosing reporters three ways."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from shuzhi.core.models import AuditEntry
from shuzhi.cycles import services as cs
from shuzhi.cycles.models import Round

pytestmark = pytest.mark.django_db


@pytest.fixture
def rounds(world, province_round):
    city_round = cs.create_round(actor=world.alice, host=world.city_b, year=2026)
    old = cs.create_round(actor=world.alice, host=world.city_a, year=2025)
    return province_round, city_round, old


@pytest.mark.smoke
def test_list_is_scoped_and_searchable(client, world, rounds):
    client.force_login(world.alice)
    response = client.get(reverse("round_list"))
    assert response.status_code == 200
    assert [r.pk for r in response.context["page"]] == [rounds[0].pk, rounds[1].pk, rounds[2].pk]
    assert "新建年度述职评议" in response.text
    response = client.get(reverse("round_list"), {"year": 2025})
    assert [r.pk for r in response.context["page"]] == [rounds[2].pk]
    response = client.get(reverse("round_list"), {"q": "深圳"})
    assert [r.pk for r in response.context["page"]] == [rounds[1].pk]
    client.force_login(world.carol)
    response = client.get(reverse("round_list"))
    assert [r.pk for r in response.context["page"]] == [rounds[1].pk]
    assert "新建年度述职评议" not in response.text
    client.force_login(world.erin)
    assert list(client.get(reverse("round_list")).context["page"]) == []


def test_list_query_count_is_pinned(client, world, rounds, django_assert_num_queries):
    for year in range(2015, 2025):
        cs.create_round(actor=world.alice, host=world.county_a1, year=year)
    client.force_login(world.alice)
    # session, user, grants, count, page of rounds with counts
    with django_assert_num_queries(5):
        client.get(reverse("round_list"))


def test_detail_404_outside_scope_and_403_for_readers(client, world, rounds):
    province_round = rounds[0]
    url = reverse("round_detail", args=[province_round.pk])
    for persona in (world.bob, world.carol, world.dave, world.erin):
        client.force_login(persona)
        assert client.get(url).status_code == 404
    client.force_login(world.carol)
    city_round = rounds[1]
    assert client.get(reverse("round_detail", args=[city_round.pk])).status_code == 200
    assert client.get(reverse("round_edit", args=[city_round.pk])).status_code == 403
    assert client.get(reverse("round_reporters", args=[city_round.pk])).status_code == 403
    client.force_login(world.alice)
    response = client.get(url)
    assert response.status_code == 200
    assert "甲书记" in response.text or "乙书记" in response.text
    assert "丙书记" in response.text


def test_create_round_page(client, world):
    client.force_login(world.alice)
    response = client.post(reverse("round_create"), {"host_code": "440100", "year": 2026})
    round = Round.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("round_reporters", args=[round.pk])
    response = client.post(reverse("round_create"), {"host_code": "440100", "year": 2026})
    assert "已有 2026 年度" in response.text
    response = client.post(reverse("round_create"), {"host_code": "999", "year": 2026})
    assert "找不到该组织代码" in response.text
    client.force_login(world.carol)
    assert client.get(reverse("round_create")).status_code == 403


def test_edit_policies_page(client, world, rounds):
    round = rounds[0]
    client.force_login(world.alice)
    url = reverse("round_edit", args=[round.pk])
    form = client.get(url).context["form"]
    data = {k: form.initial[k] for k in form.initial}
    data["categories"] = "leaders,领导班子成员,0.5\nmembers,委员,0.6"
    response = client.post(url, data)
    assert "权重之和必须等于 1" in response.text
    data["categories"] = "leaders,领导班子成员,0.5\nmembers,委员,0.5"
    data["quotas"] = "good=3"
    response = client.post(url, data)
    assert response.status_code == 302
    round.refresh_from_db()
    assert round.quotas == {"good": 3} and len(round.categories) == 2
    assert AuditEntry.objects.filter(action="round.update").exists()


def test_choose_reporters_three_ways(client, world):
    round = cs.create_round(actor=world.alice, host=world.city_a, year=2026)
    url = reverse("round_reporters", args=[round.pk])
    client.force_login(world.alice)
    response = client.post(url, {"how": "codes", "codes-codes": "440103 440303"})
    assert "不在“广州市委”的下级范围内" in response.text
    response = client.post(url, {"how": "codes", "codes-codes": "440103"})
    assert response.status_code == 302
    from shuzhi.orgs.tree.models import UnitType

    county = UnitType.objects.get(code="county")
    response = client.post(url, {"how": "type", "type-type": county.pk, "type-direct_only": "on"})
    assert response.status_code == 302
    assert round.reporters.count() == 2
    bad = SimpleUploadedFile("units.csv", b"code\n440303\nnope\n")
    response = client.post(url, {"how": "file", "file-file": bad})
    assert [e.row for e in response.context["row_errors"]] == [2, 3]
    good = SimpleUploadedFile("units.csv", b"code\n440103001\n")
    response = client.post(url, {"how": "file", "file-file": good})
    assert response.status_code == 302
    assert round.reporters.count() == 3


def test_reporter_person_and_remove_pages(client, world, rounds, secretaries):
    round = rounds[0]
    reporter = round.reporters.get(unit=world.city_a)
    client.force_login(world.alice)
    url = reverse("round_reporter_person", args=[round.pk, reporter.pk])
    response = client.get(url)
    assert {p.name for p in response.context["form"].fields["person"].queryset} == {
        "甲书记",
        "乙书记",
    }
    client.post(url, {"person": secretaries["甲书记"].pk})
    reporter.refresh_from_db()
    assert reporter.person == secretaries["甲书记"]
    client.post(reverse("round_reporter_remove", args=[round.pk, reporter.pk]))
    assert not round.reporters.filter(pk=reporter.pk).exists()
