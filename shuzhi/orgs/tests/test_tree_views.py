"""The tree browser, the unit page and the unit operations as pages."""

import datetime

import pytest
from django.urls import reverse

from shuzhi.accounts.models import Role
from shuzhi.core import audit
from shuzhi.core.models import AuditEntry
from shuzhi.core.testing import make_unit, make_user, unit_type
from shuzhi.orgs.people.models import Person, Post, PostRole
from shuzhi.orgs.tree.models import Unit, UnitStatus

pytestmark = pytest.mark.django_db


def _add_children(parent: Unit, n: int, prefix: str) -> list[Unit]:
    return [
        make_unit(f"{prefix}{i:04d}", f"{parent.name}下级{i}", "branch", parent) for i in range(n)
    ]


def _as(client, user):
    client.force_login(user)
    return client


# --- tree browser ---------------------------------------------------------------------------


@pytest.mark.smoke
def test_tree_starts_at_the_top_of_each_scope(client, world):
    page = _as(client, world.root).get(reverse("unit_tree")).content.decode()
    assert "广东省委" in page and reverse("unit_children", args=[world.province.pk]) in page
    assert "广州市委" not in page  # children load on demand

    client.force_login(world.bob)
    page = client.get(reverse("unit_tree")).content.decode()
    assert "广州市委" in page and "广东省委" not in page

    client.force_login(world.erin)
    page = client.get(reverse("unit_tree")).content.decode()
    assert "还没有任何组织的查看权限" in page


def test_tree_root_page_query_count_does_not_grow(client, django_assert_num_queries, world):
    _as(client, world.alice)
    with django_assert_num_queries(4):  # session, user, grants, roots
        assert client.get(reverse("unit_tree")).status_code == 200
    for code in ("450000", "460000"):
        make_unit(code, f"{code}党委", "province")
    _add_children(world.province, 10, "P")
    with django_assert_num_queries(4):
        client.get(reverse("unit_tree"))


@pytest.mark.smoke
def test_children_fragment_lists_children_with_toggles_in_scope(client, world):
    url = reverse("unit_children", args=[world.city_a.pk])
    body = _as(client, world.alice).get(url).content.decode()
    assert "荔湾区委" in body and "越秀区委" in body and "深圳市委" not in body
    assert reverse("unit_children", args=[world.county_a1.pk]) in body  # it has a township

    # bob's secretary grant reaches one level down: the counties show, without a toggle.
    client.force_login(world.bob)
    body = client.get(url).content.decode()
    assert "荔湾区委" in body
    assert reverse("unit_children", args=[world.county_a1.pk]) not in body
    below = client.get(reverse("unit_children", args=[world.county_a1.pk])).content.decode()
    assert "沙面街道党工委" not in below and "没有下级组织" in below


@pytest.mark.parametrize("who", ["bob", "carol", "erin"])
def test_children_fragment_outside_scope_is_404(client, world, who):
    _as(client, getattr(world, who))
    target = world.city_b if who == "bob" else world.city_a
    assert client.get(reverse("unit_children", args=[target.pk])).status_code == 404


def test_children_fragment_pages_by_200(client, world):
    _add_children(world.county_a2, 203, "M")
    _as(client, world.alice)
    url = reverse("unit_children", args=[world.county_a2.pk])
    body = client.get(url).content.decode()
    assert body.count('<li class="tree-node">') == 200
    assert "显示更多" in body and f"{url}?offset=200" in body
    body = client.get(url, {"offset": 200}).content.decode()
    assert body.count('<li class="tree-node">') == 3 and "显示更多" not in body


def test_children_fragment_query_count_does_not_grow(client, django_assert_num_queries, world):
    _as(client, world.alice)
    url = reverse("unit_children", args=[world.county_a2.pk])
    with django_assert_num_queries(5):  # session, user, grants, unit, children (+EXISTS)
        client.get(url)
    for child in _add_children(world.county_a2, 30, "Q")[:5]:
        _add_children(child, 2, f"R{child.pk}-")
    with django_assert_num_queries(5):
        assert client.get(url).content.decode().count('<li class="tree-node">') == 30


@pytest.mark.smoke
def test_search_by_code_prefix_and_name_shows_trails(client, world):
    _as(client, world.alice)
    body = client.get(reverse("unit_tree"), {"q": "440103"}).content.decode()
    assert "荔湾区委" in body and "沙面街道党工委" in body and "沙面社区党委" in body
    assert "广东省委 › 广州市委 › 荔湾区委" in body  # the trail of the township
    body = client.get(reverse("unit_tree"), {"q": "沙面"}).content.decode()
    assert "沙面街道党工委" in body and "沙面社区党委" in body
    assert "罗湖区委" not in client.get(reverse("unit_tree"), {"q": "荔湾"}).content.decode()
    body = client.get(reverse("unit_tree"), {"q": "没有这个"}).content.decode()
    assert "没有找到匹配的组织" in body


def test_search_htmx_returns_only_the_results(client, world):
    _as(client, world.alice)
    response = client.get(reverse("unit_tree"), {"q": "荔湾"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert "荔湾区委" in body and "<html" not in body


def test_search_stays_inside_scope(client, world):
    _as(client, world.carol)
    body = client.get(reverse("unit_tree"), {"q": "4401"}).content.decode()
    assert "广州市委" not in body and "没有找到匹配的组织" in body
    assert "罗湖区委" in client.get(reverse("unit_tree"), {"q": "罗湖"}).content.decode()


def test_search_query_count_does_not_grow(client, django_assert_num_queries, world):
    _as(client, world.alice)
    url = reverse("unit_tree")
    # session, user, grants, code prefix, name prefix, name contains, trails, roots
    with django_assert_num_queries(8):
        client.get(url, {"q": "荔湾"})
    _add_children(world.county_a1, 20, "440103X")
    with django_assert_num_queries(8):
        client.get(url, {"q": "荔湾"})


def test_search_results_are_limited(client, world):
    _add_children(world.county_a2, 55, "S")
    _as(client, world.alice)
    body = client.get(reverse("unit_tree"), {"q": "越秀区委下级"}).content.decode()
    assert body.count('class="list-group-item"') == 50
    assert "只显示前 50 条" in body


# --- unit page ------------------------------------------------------------------------------


@pytest.mark.smoke
def test_unit_page_shows_details_and_breadcrumbs(client, world):
    body = _as(client, world.alice).get(reverse("unit_detail", args=[world.township_a1x.pk]))
    text = body.content.decode()
    assert "沙面街道党工委" in text and "440103001" in text and "街道党工委" in text
    assert "乡镇级" in text and "第 4 层" in text and "正常" in text
    for ancestor in (world.province, world.city_a, world.county_a1):
        assert f'href="{reverse("unit_detail", args=[ancestor.pk])}"' in text
    assert "沙面社区党委" in text  # the children tab


def test_breadcrumbs_above_scope_are_named_not_linked(client, world):
    text = _as(client, world.bob).get(reverse("unit_detail", args=[world.county_a1.pk]))
    text = text.content.decode()
    assert "广东省委" in text
    assert f'href="{reverse("unit_detail", args=[world.province.pk])}"' not in text
    assert f'href="{reverse("unit_detail", args=[world.city_a.pk])}"' in text


@pytest.mark.parametrize(
    "who, unit",
    [
        ("bob", "city_b"),
        ("bob", "township_a1x"),  # beyond the one level a secretary's grant reaches
        ("carol", "city_a"),
        ("carol", "province"),
        ("erin", "province"),
        ("erin", "village_a1x1"),
    ],
)
def test_unit_page_outside_scope_is_404(client, world, who, unit):
    _as(client, getattr(world, who))
    pk = getattr(world, unit).pk
    assert client.get(reverse("unit_detail", args=[pk])).status_code == 404
    assert client.get(reverse("unit_detail", args=[pk]), {"tab": "summary"}).status_code == 404
    assert client.get(reverse("unit_edit", args=[pk])).status_code == 404


def test_merged_unit_links_to_the_unit_it_joined(client, world):
    Unit.objects.filter(pk=world.county_a2.pk).update(
        status=UnitStatus.MERGED, status_date=datetime.date(2025, 3, 1), merged_into=world.county_a1
    )
    text = _as(client, world.alice).get(reverse("unit_detail", args=[world.county_a2.pk]))
    text = text.content.decode()
    assert "已合并" in text and "2025-03-01" in text
    assert f'href="{reverse("unit_detail", args=[world.county_a1.pk])}">荔湾区委' in text


def test_children_tab_is_paginated_with_a_count(client, world):
    _add_children(world.county_a2, 60, "C")
    _as(client, world.alice)
    url = reverse("unit_detail", args=[world.county_a2.pk])
    text = client.get(url).content.decode()
    assert "共 60 个下级组织" in text and "第 1 / 2 页" in text
    assert "越秀区委下级59" not in text
    assert "越秀区委下级59" in client.get(url, {"page": 2}).content.decode()


def test_posts_tab_lists_current_posts_with_links_to_people(client, world):
    wang = Person.objects.create(name="王书记", unit=world.county_a1)
    old = Person.objects.create(name="老书记", unit=world.county_a1)
    Post.objects.create(
        person=wang, unit=world.county_a1, role=PostRole.SECRETARY, start_date="2024-01-01"
    )
    Post.objects.create(
        person=old,
        unit=world.county_a1,
        role=PostRole.SECRETARY,
        start_date="2020-01-01",
        end_date="2023-12-31",
    )
    _as(client, world.alice)
    text = client.get(reverse("unit_detail", args=[world.county_a1.pk]), {"tab": "posts"})
    text = text.content.decode()
    assert f'href="/people/{wang.pk}/">王书记' in text and "书记" in text
    assert "2024-01-01" in text and "老书记" not in text


def test_summary_tab_counts_the_subtree_by_type_and_level(client, world):
    _as(client, world.alice)
    text = client.get(reverse("unit_detail", args=[world.city_a.pk]), {"tab": "summary"})
    text = text.content.decode()
    assert "共 5 个组织" in text  # city, two counties, a subdistrict, a community
    assert '<td>县级党委</td><td>县级</td><td class="text-end">2</td>' in text
    assert '<td>村级</td><td class="text-end">1</td>' in text


def test_history_tab_only_for_audit_viewers(client, world):
    audit.record(
        actor=world.alice, action="unit.update", obj=world.city_a, changes={"name": ["a", "b"]}
    )
    audit.record(actor=world.alice, action="unit.update", obj=world.city_b)  # another unit
    url = reverse("unit_detail", args=[world.city_a.pk])
    text = _as(client, world.alice).get(url, {"tab": "history"}).content.decode()
    assert "操作记录" in text and "unit.update" in text and "名称: a → b" in text
    assert text.count("<code>unit.update</code>") == 1

    client.force_login(world.bob)
    text = client.get(url, {"tab": "history"}).content.decode()
    assert "操作记录" not in text and "unit.update" not in text
    assert "荔湾区委" in text  # falls back to the children tab


@pytest.mark.parametrize(
    "tab, queries",
    [
        # session, user, grants, unit, breadcrumbs, + the tab's own queries
        ("children", 7),  # count, page
        ("posts", 6),  # posts with people
        ("summary", 7),  # one aggregate, the types
        ("history", 7),  # count, page
    ],
)
def test_unit_page_query_count_does_not_grow(
    client, django_assert_num_queries, world, tab, queries
):
    _as(client, world.alice)
    url = reverse("unit_detail", args=[world.city_a.pk])
    audit.record(actor=world.alice, action="unit.update", obj=world.city_a)
    with django_assert_num_queries(queries):
        assert client.get(url, {"tab": tab}).status_code == 200
    for county in _add_children(world.city_a, 12, "N"):
        make_unit(f"V{county.code}", "村", "village", county)
        person = Person.objects.create(name="某人", unit=county)
        Post.objects.create(
            person=person, unit=world.city_a, role="committee_member", start_date="2024-01-01"
        )
        audit.record(actor=world.alice, action="unit.update", obj=world.city_a)
    with django_assert_num_queries(queries):
        assert client.get(url, {"tab": tab}).status_code == 200


# --- operations -----------------------------------------------------------------------------


def test_operations_show_only_to_those_who_may_change(client, world):
    url = reverse("unit_detail", args=[world.city_a.pk])
    assert (
        reverse("unit_move", args=[world.city_a.pk])
        in _as(client, world.alice).get(url).content.decode()
    )
    client.force_login(world.bob)
    assert reverse("unit_move", args=[world.city_a.pk]) not in client.get(url).content.decode()


@pytest.mark.parametrize(
    "name",
    ["unit_add_child", "unit_edit", "unit_move", "unit_merge", "unit_dissolve", "unit_reorder"],
)
def test_operations_refuse_viewers_with_403(client, world, name):
    _as(client, world.bob)
    assert client.get(reverse(name, args=[world.city_a.pk])).status_code == 403
    assert client.post(reverse(name, args=[world.city_a.pk]), {"name": "x"}).status_code == 403


@pytest.mark.smoke
def test_create_child_redirects_to_the_new_unit(client, world):
    _as(client, world.alice)
    response = client.post(
        reverse("unit_add_child", args=[world.county_a2.pk]),
        {"code": "440104001", "name": "北京街道党工委", "type": unit_type("subdistrict").pk},
        follow=True,
    )
    unit = Unit.objects.get(code="440104001")
    assert unit.parent == world.county_a2
    assert response.redirect_chain[-1][0] == reverse("unit_detail", args=[unit.pk])
    assert "已新建下级组织“北京街道党工委”" in response.content.decode()


def test_create_child_shows_field_errors_and_changes_nothing(client, world):
    _as(client, world.alice)
    before = Unit.objects.count()
    response = client.post(
        reverse("unit_add_child", args=[world.county_a2.pk]),
        {"code": "440103", "name": "重复", "type": unit_type("subdistrict").pk},
    )
    assert response.status_code == 200
    assert "组织代码“440103”已被使用" in response.content.decode()
    response = client.post(
        reverse("unit_add_child", args=[world.county_a2.pk]), {"code": "", "name": ""}
    )
    assert response.status_code == 200 and "这个字段是必填项" in response.content.decode()
    assert Unit.objects.count() == before


def test_edit_renames_and_records(client, world):
    _as(client, world.alice)
    url = reverse("unit_edit", args=[world.county_a2.pk])
    assert 'value="越秀区委"' in client.get(url).content.decode()
    response = client.post(
        url,
        {
            "code": "440104",
            "name": "越秀区委员会",
            "short_name": "越秀",
            "type": unit_type("county").pk,
            "sort_order": 5,
        },
    )
    assert response.status_code == 302
    world.county_a2.refresh_from_db()
    assert (world.county_a2.name, world.county_a2.short_name, world.county_a2.sort_order) == (
        "越秀区委员会",
        "越秀",
        5,
    )
    assert AuditEntry.objects.filter(
        action="unit.update", object_id=str(world.county_a2.pk)
    ).exists()


def test_move_refuses_own_subtree_with_the_service_message(client, world):
    _as(client, world.alice)
    response = client.post(
        reverse("unit_move", args=[world.county_a1.pk]), {"new_parent": "440103001"}
    )
    assert response.status_code == 200
    assert "不能把组织移动到它自己或它的下级组织之下" in response.content.decode()
    world.county_a1.refresh_from_db()
    assert world.county_a1.parent == world.city_a


def test_move_by_unknown_or_invisible_code_is_a_field_error(client, world):
    _as(client, world.alice)
    response = client.post(reverse("unit_move", args=[world.county_a1.pk]), {"new_parent": "999"})
    assert "找不到组织代码为“999”的组织" in response.content.decode()


def test_move_with_search_picker(client, world):
    _as(client, world.alice)
    url = reverse("unit_move", args=[world.county_a1.pk])
    text = client.get(url, {"q": "深圳"}).content.decode()
    assert "深圳市委" in text and "pick=440300" in text
    assert 'value="440300"' in client.get(url, {"q": "深圳", "pick": "440300"}).content.decode()
    response = client.post(url, {"new_parent": "440300"}, follow=True)
    world.county_a1.refresh_from_db()
    world.village_a1x1.refresh_from_db()
    assert world.county_a1.parent == world.city_b
    assert world.village_a1x1.path.startswith(world.city_b.path)
    assert "已将“荔湾区委”移动到“深圳市委”之下" in response.content.decode()


def test_merge_by_code_with_a_date(client, world):
    _as(client, world.alice)
    url = reverse("unit_merge", args=[world.county_a1.pk])
    response = client.post(url, {"into": "440104", "date": ""})
    assert "这个字段是必填项" in response.content.decode()
    response = client.post(url, {"into": "440103001", "date": "2025-06-30"})
    assert "不能并入自己或自己的下级组织" in response.content.decode()
    response = client.post(url, {"into": "440104", "date": "2025-06-30"}, follow=True)
    world.county_a1.refresh_from_db()
    world.township_a1x.refresh_from_db()
    assert world.county_a1.status == UnitStatus.MERGED
    assert world.county_a1.merged_into == world.county_a2
    assert world.township_a1x.parent == world.county_a2
    assert "已将“荔湾区委”并入“越秀区委”" in response.content.decode()


def test_dissolve_needs_children_gone_first(client, world):
    _as(client, world.alice)
    response = client.post(
        reverse("unit_dissolve", args=[world.city_a.pk]), {"date": "2025-01-01", "reason": "撤并"}
    )
    assert "还有正常状态的下级组织" in response.content.decode()
    world.city_a.refresh_from_db()
    assert world.city_a.is_active
    response = client.post(
        reverse("unit_dissolve", args=[world.county_a2.pk]),
        {"date": "2025-01-01", "reason": "撤并"},
    )
    assert response.status_code == 302
    world.county_a2.refresh_from_db()
    assert world.county_a2.status == UnitStatus.DISSOLVED
    assert AuditEntry.objects.get(action="unit.dissolve").note == "撤并"


def test_reorder_children_by_numbers(client, world):
    _as(client, world.alice)
    url = reverse("unit_reorder", args=[world.city_a.pk])
    a1, a2 = world.county_a1.pk, world.county_a2.pk
    response = client.post(url, {f"pos_{a1}": "2", f"pos_{a2}": "1"})
    assert response.status_code == 302
    assert list(Unit.objects.filter(parent=world.city_a).values_list("pk", flat=True)) == [a2, a1]
    response = client.post(url, {f"pos_{a1}": "x", f"pos_{a2}": "1"})
    assert response.status_code == 200 and "输入整数" in response.content.decode()


def test_search_by_a_whole_code_skips_the_name_scan(client, django_assert_num_queries, world):
    _as(client, world.alice)
    with django_assert_num_queries(7):  # as above, without the name-contains scan
        body = client.get(reverse("unit_tree"), {"q": "440103001001"}).content.decode()
    assert "沙面社区党委" in body


def test_search_history_restore_gets_the_whole_page(client, world):
    _as(client, world.alice)
    headers = {"HX-Request": "true", "HX-History-Restore-Request": "true"}
    body = client.get(reverse("unit_tree"), {"q": "荔湾"}, headers=headers).content.decode()
    assert "<html" in body and "荔湾区委" in body


def test_reorder_a_unit_without_children_goes_back(client, world):
    _as(client, world.alice)
    response = client.get(reverse("unit_reorder", args=[world.village_a1x1.pk]), follow=True)
    assert "该组织没有下级组织" in response.content.decode()


def test_create_child_page_is_no_oracle_for_codes_out_of_sight(client, world):
    olga = make_user("olga", (Role.ORGANISER, world.city_a))
    _as(client, olga)
    pages = []
    for code in ("440303", "44 03"):
        response = client.post(
            reverse("unit_add_child", args=[world.city_a.pk]),
            {"code": code, "name": "新区委", "type": unit_type("county").pk},
        )
        assert response.status_code == 200
        assert f"组织代码“{code}”不可用" in response.content.decode()
        pages.append(response.content.decode().replace(code, "CODE"))
    assert "已被使用" not in pages[0]
