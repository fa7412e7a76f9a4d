"""People and post reads: one query per question, and the register scoped by the policies."""

import datetime

import pytest

from shuzhi.orgs.people import policies, selectors
from shuzhi.orgs.people import services as ps
from shuzhi.orgs.people.models import PostRole

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture
def career(world):
    """张三: secretary of county A1 2019–2022, then of city A; 李四 followed him in A1."""
    zhang = ps.create_person(
        actor=world.alice, unit=world.county_a1, name="张三", staff_number="GZ0001"
    )
    li = ps.create_person(actor=world.alice, unit=world.county_a1, name="李四")
    for unit, role, start, end in [
        (world.county_a1, PostRole.SECRETARY, D(2019, 1, 1), D(2022, 12, 31)),
        (world.city_a, PostRole.SECRETARY, D(2023, 1, 1), None),
        (world.city_b, PostRole.COMMITTEE_MEMBER, D(2020, 1, 1), None),
    ]:
        ps.create_post(
            actor=world.alice, person=zhang, unit=unit, role=role, start_date=start, end_date=end
        )
    ps.create_post(
        actor=world.alice,
        person=li,
        unit=world.county_a1,
        role=PostRole.SECRETARY,
        start_date=D(2023, 1, 1),
    )
    return zhang, li


@pytest.mark.smoke
def test_secretary_on_answers_in_one_query(world, career, django_assert_num_queries):
    _, li = career
    with django_assert_num_queries(1):
        post = selectors.secretary_on(world.county_a1, D(2022, 12, 31))
        assert post is not None
        assert post.person.name == "张三"
    with django_assert_num_queries(1):
        post = selectors.secretary_on(world.county_a1, D(2023, 1, 1))
        assert post is not None
        assert post.person == li
    with django_assert_num_queries(1):
        assert selectors.secretary_on(world.county_a1, D(2018, 12, 31)) is None


@pytest.mark.smoke
def test_posts_of_person_is_one_query_with_units(world, career, django_assert_num_queries):
    zhang, _ = career
    with django_assert_num_queries(1):
        posts = list(selectors.posts_of_person(zhang))
        labels = [(p.unit.name, p.role) for p in posts]
    assert labels == [
        ("广州市委", "secretary"),
        ("深圳市委", "committee_member"),
        ("荔湾区委", "secretary"),
    ]


def test_posts_of_person_for_a_viewer_shows_posts_in_scope_only(world, career):
    zhang, _ = career
    assert {p.unit for p in selectors.posts_of_person(zhang, viewer=world.carol)} == {world.city_b}
    assert {p.unit for p in selectors.posts_of_person(zhang, viewer=world.bob)} == {
        world.city_a,
        world.county_a1,
    }
    assert list(selectors.posts_of_person(zhang, viewer=world.erin)) == []


def test_people_list_is_scoped(world, career):
    ps.create_person(actor=world.alice, unit=world.village_a1x1, name="赵社区")
    everyone = {"张三", "李四", "赵社区"}
    assert {p.name for p in selectors.people_list(world.alice)} == everyone
    assert {p.name for p in selectors.people_list(world.root)} == everyone
    # bob's secretary grant reaches city A and the level below it, not the community.
    assert {p.name for p in selectors.people_list(world.bob)} == {"张三", "李四"}
    # carol sees 张三 through his post in city B, though he is registered in city A.
    assert {p.name for p in selectors.people_list(world.carol)} == {"张三"}
    assert list(selectors.people_list(world.erin)) == []


def test_people_search_by_name_and_staff_number(world, career):
    assert [p.name for p in selectors.people_list(world.alice, text="张")] == ["张三"]
    assert [p.name for p in selectors.people_list(world.alice, text="gz00")] == ["张三"]
    assert [p.name for p in selectors.people_list(world.alice, text="王")] == []


def test_people_list_is_one_query(world, career, django_assert_num_queries):
    list(selectors.people_list(world.bob))  # load the grants once, as a request would
    with django_assert_num_queries(1):
        assert [p.unit.name for p in selectors.people_list(world.bob)] == ["荔湾区委", "荔湾区委"]


def test_person_history_is_scoped_by_audit_view(world, career):
    zhang, _ = career
    post_ids = [p.pk for p in selectors.posts_of_person(zhang)]
    actions = [e.action for e in selectors.person_history(world.alice, zhang, post_ids)]
    assert actions.count("post.create") == 3
    assert "person.create" in actions
    assert policies.may_read_audit(world.alice)
    assert not policies.may_read_audit(world.bob)
    assert list(selectors.person_history(world.bob, zhang, post_ids)) == []
