"""The units API: reads in scope, writes through the services, 404/403/422 as documented."""

import pytest

from shuzhi.accounts.models import Role
from shuzhi.core.models import AuditEntry
from shuzhi.core.testing import make_unit, make_user
from shuzhi.orgs.tree.models import Unit, UnitStatus

pytestmark = pytest.mark.django_db

BASE = "/api/units"


def _as(client, user):
    client.force_login(user)
    return client


@pytest.mark.smoke
def test_list_search_and_filter(client, world):
    _as(client, world.alice)
    body = client.get(f"{BASE}/").json()
    assert body["count"] == 8
    codes = [u["code"] for u in client.get(f"{BASE}/", {"q": "440103"}).json()["items"]]
    assert codes == ["440103", "440103001", "440103001001"]
    names = [u["name"] for u in client.get(f"{BASE}/", {"q": "沙面"}).json()["items"]]
    assert names == ["沙面街道党工委", "沙面社区党委"]
    items = client.get(f"{BASE}/", {"parent": world.city_a.pk}).json()["items"]
    assert {u["code"] for u in items} == {"440103", "440104"}
    items = client.get(f"{BASE}/", {"type": "county"}).json()["items"]
    assert {u["code"] for u in items} == {"440103", "440104", "440303"}
    assert items[0]["type"] == {"code": "county", "name": "县级党委", "level_label": "县级"}


def test_list_stays_inside_scope(client, world):
    codes = {u["code"] for u in _as(client, world.carol).get(f"{BASE}/").json()["items"]}
    assert codes == {"440300", "440303"}
    assert _as(client, world.erin).get(f"{BASE}/").json()["count"] == 0


def test_detail_has_ancestors_root_first(client, world):
    body = _as(client, world.alice).get(f"{BASE}/{world.township_a1x.pk}").json()
    assert body["code"] == "440103001" and body["depth"] == 4
    assert [a["code"] for a in body["ancestors"]] == ["440000", "440100", "440103"]


@pytest.mark.parametrize(
    "who, unit",
    [("bob", "city_b"), ("bob", "township_a1x"), ("carol", "city_a"), ("erin", "province")],
)
def test_reads_outside_scope_are_404(client, world, who, unit):
    _as(client, getattr(world, who))
    pk = getattr(world, unit).pk
    for path in (f"{BASE}/{pk}", f"{BASE}/{pk}/children", f"{BASE}/{pk}/summary"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.json() == {"detail": "未找到。"}


@pytest.mark.parametrize("who", ["bob", "carol", "erin"])
def test_writes_outside_scope_are_404(client, world, who):
    _as(client, getattr(world, who))
    pk = (world.city_b if who == "bob" else world.city_a).pk
    assert (
        client.patch(f"{BASE}/{pk}", {"name": "x"}, content_type="application/json").status_code
        == 404
    )
    assert (
        client.post(
            f"{BASE}/{pk}/dissolve", {"date": "2025-01-01"}, content_type="application/json"
        ).status_code
        == 404
    )
    response = client.post(
        f"{BASE}/",
        {"parent_id": pk, "code": "Z1", "name": "越权", "type": "county"},
        content_type="application/json",
    )
    assert response.status_code == 404
    assert not Unit.objects.filter(code="Z1").exists()


def test_children_and_summary(client, world):
    _as(client, world.alice)
    items = client.get(f"{BASE}/{world.city_a.pk}/children").json()["items"]
    assert [u["code"] for u in items] == ["440103", "440104"]
    body = client.get(f"{BASE}/{world.city_a.pk}/summary").json()
    assert body["total"] == 5
    by_type = {row["type"]["code"]: row["count"] for row in body["by_type"]}
    assert by_type == {"city": 1, "county": 2, "subdistrict": 1, "community": 1}
    by_level = {row["level_label"]: row["count"] for row in body["by_level"]}
    assert by_level == {"市级": 1, "县级": 2, "乡镇级": 1, "村级": 1}


def test_children_and_detail_query_counts_do_not_grow(client, django_assert_num_queries, world):
    _as(client, world.alice)
    with django_assert_num_queries(6):  # session, user, grants, unit, count, page
        client.get(f"{BASE}/{world.county_a2.pk}/children")
    with django_assert_num_queries(5):  # session, user, grants, unit, ancestors
        client.get(f"{BASE}/{world.village_a1x1.pk}")
    for i in range(15):
        make_unit(f"K{i}", f"支部{i}", "branch", world.county_a2)
    with django_assert_num_queries(6):
        assert len(client.get(f"{BASE}/{world.county_a2.pk}/children").json()["items"]) == 15


@pytest.mark.smoke
def test_create_update_and_audit(client, world):
    _as(client, world.alice)
    response = client.post(
        f"{BASE}/",
        {
            "parent_id": world.county_a2.pk,
            "code": "440104001",
            "name": "北京街道党工委",
            "type": "subdistrict",
        },
        content_type="application/json",
    )
    assert response.status_code == 201
    created = response.json()
    assert created["parent_id"] == world.county_a2.pk and created["depth"] == 4
    response = client.patch(
        f"{BASE}/{created['id']}",
        {"short_name": "北京街道", "sort_order": 3},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert (
        response.json()["short_name"] == "北京街道" and response.json()["name"] == "北京街道党工委"
    )
    actions = set(
        AuditEntry.objects.filter(object_id=str(created["id"])).values_list("action", flat=True)
    )
    assert actions == {"unit.create", "unit.update"}


def test_validation_errors_are_422_in_chinese(client, world):
    _as(client, world.alice)
    response = client.post(
        f"{BASE}/",
        {"parent_id": world.city_a.pk, "code": "440103", "name": "重复", "type": "county"},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["errors"] == {"code": ["组织代码“440103”已被使用。"]}
    response = client.post(
        f"{BASE}/",
        {"parent_id": world.city_a.pk, "code": "N1", "name": "新", "type": "nope"},
        content_type="application/json",
    )
    assert response.status_code == 422 and "type" in response.json()["errors"]
    response = client.patch(
        f"{BASE}/{world.city_a.pk}", {"name": " "}, content_type="application/json"
    )
    assert response.json()["errors"] == {"name": ["名称不能为空。"]}
    world.city_a.refresh_from_db()
    assert world.city_a.name == "广州市委"


def test_visible_but_not_changeable_is_403(client, world):
    _as(client, world.bob)
    response = client.patch(
        f"{BASE}/{world.city_a.pk}", {"name": "改名"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert response.json()["detail"] == "您没有权限对该组织执行此操作。"
    response = client.post(
        f"{BASE}/{world.county_a1.pk}/move",
        {"new_parent_id": world.county_a2.pk},
        content_type="application/json",
    )
    assert response.status_code == 403
    world.city_a.refresh_from_db()
    assert world.city_a.name == "广州市委"


def test_move_merge_dissolve(client, world):
    _as(client, world.alice)
    response = client.post(
        f"{BASE}/{world.county_a1.pk}/move",
        {"new_parent_id": world.township_a1x.pk},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["errors"] == {
        "new_parent": ["不能把组织移动到它自己或它的下级组织之下。"]
    }
    response = client.post(
        f"{BASE}/{world.county_a1.pk}/move",
        {"new_parent_id": world.city_b.pk},
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["parent_id"] == world.city_b.pk
    response = client.post(
        f"{BASE}/{world.county_a1.pk}/merge",
        {"into_id": world.county_b1.pk, "date": "2025-06-30"},
        content_type="application/json",
    )
    body = response.json()
    assert body["status"] == UnitStatus.MERGED and body["merged_into_id"] == world.county_b1.pk
    response = client.post(
        f"{BASE}/{world.county_a2.pk}/dissolve",
        {"date": "2025-07-01", "reason": "撤并"},
        content_type="application/json",
    )
    assert response.json()["status"] == UnitStatus.DISSOLVED


def test_move_to_a_unit_out_of_sight_is_a_field_error(client, world):
    outsider = make_unit("450000", "广西区委", "province")
    response = _as(client, world.alice).post(
        f"{BASE}/{world.county_a1.pk}/move",
        {"new_parent_id": outsider.pk},
        content_type="application/json",
    )
    assert response.status_code == 422 and "new_parent_id" in response.json()["errors"]
    world.county_a1.refresh_from_db()
    assert world.county_a1.parent == world.city_a


def test_dissolve_with_active_children_is_refused(client, world):
    response = _as(client, world.alice).post(
        f"{BASE}/{world.city_a.pk}/dissolve",
        {"date": "2025-01-01"},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert "下级组织" in response.json()["errors"]["unit"][0]
    world.city_a.refresh_from_db()
    assert world.city_a.is_active


def test_anonymous_is_refused(client, world):
    assert client.get(f"{BASE}/").status_code == 401


def test_list_count_is_capped(client, world, monkeypatch):
    from shuzhi.orgs.tree import api

    monkeypatch.setattr(api, "COUNT_CAP", 5)
    body = _as(client, world.alice).get(f"{BASE}/", {"limit": 2}).json()
    assert (body["count"], body["count_capped"], len(body["items"])) == (5, True, 2)
    body = client.get(f"{BASE}/", {"q": "4401"}).json()
    assert (body["count"], body["count_capped"]) == (5, False)


def test_a_code_taken_out_of_sight_is_no_oracle(client, world):
    olga = make_user("olga", (Role.ORGANISER, world.city_a))
    _as(client, olga)
    answers = []
    for code in ("440303", "44/03"):
        response = client.post(
            f"{BASE}/",
            {"parent_id": world.city_a.pk, "code": code, "name": "新区委", "type": "county"},
            content_type="application/json",
        )
        assert response.status_code == 422
        answers.append(response.json()["errors"]["code"][0].replace(code, "CODE"))
    assert answers[0] == answers[1]
    assert "已被使用" not in answers[0]
