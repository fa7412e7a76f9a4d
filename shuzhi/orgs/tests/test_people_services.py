"""People and post services: every rule, every refusal, and the audit entries they leave."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from shuzhi.core.models import AuditEntry
from shuzhi.orgs.people import services as ps
from shuzhi.orgs.people.models import Person, Post, PostRole

pytestmark = pytest.mark.django_db

D = datetime.date


def _person(world, name="张三", unit=None, **extra):
    return ps.create_person(actor=world.alice, unit=unit or world.county_a1, name=name, **extra)


def _messages(exc: pytest.ExceptionInfo) -> str:
    return " ".join(exc.value.messages)


# --- people ----------------------------------------------------------------------------------


@pytest.mark.smoke
def test_create_person_records_audit_in_the_unit_scope(world):
    person = _person(world, staff_number=" GZ0001 ", phone="020-1234 5678", email="z@example.cn")
    assert person.staff_number == "GZ0001"
    entry = AuditEntry.objects.get(action="person.create", object_id=str(person.pk))
    assert entry.actor == world.alice
    assert entry.scope_path == world.county_a1.path
    assert entry.changes["name"] == [None, "张三"]


def test_name_is_required_and_at_most_50_characters(world):
    with pytest.raises(ValidationError) as exc:
        _person(world, name="   ")
    assert "姓名不能为空" in _messages(exc)
    with pytest.raises(ValidationError) as exc:
        _person(world, name="长" * 51)
    assert "50" in _messages(exc)
    assert _person(world, name="长" * 50).name == "长" * 50


@pytest.mark.smoke
@pytest.mark.parametrize(
    "number",
    ["44010319900101123X", "440103199001011234", "44010319900101123x", "440103900101123"],
)
def test_staff_number_that_looks_like_an_id_number_is_refused(world, number):
    with pytest.raises(ValidationError) as exc:
        _person(world, staff_number=number)
    assert "请勿填写身份证号码" in _messages(exc)
    assert exc.value.error_dict.keys() == {"staff_number"}
    assert not Person.objects.exists()
    assert not AuditEntry.objects.filter(action="person.create").exists()


@pytest.mark.parametrize("number", ["4401031990010112", "GZ-2024-0001", "12345678901234567890"])
def test_staff_numbers_of_other_shapes_are_accepted(world, number):
    assert _person(world, staff_number=number).staff_number == number


def test_id_number_inside_a_staff_number_is_refused(world):
    with pytest.raises(ValidationError):
        _person(world, staff_number="SFZ440103199001011234")


def test_staff_number_must_be_unique(world):
    _person(world, staff_number="GZ0001")
    with pytest.raises(ValidationError) as exc:
        _person(world, name="李四", staff_number="GZ0001")
    assert "已被其他人员使用" in _messages(exc)


def test_email_format_is_checked(world):
    with pytest.raises(ValidationError) as exc:
        _person(world, email="not-an-email")
    assert "电子邮箱" in _messages(exc)


def test_people_outside_scope_or_without_change_right_are_refused(world):
    for actor in (world.bob, world.carol, world.dave, world.erin):
        with pytest.raises(PermissionDenied):
            ps.create_person(actor=actor, unit=world.county_a1, name="越权")
    assert not Person.objects.exists()


def test_update_person_records_the_diff(world):
    person = _person(world, staff_number="GZ0001")
    ps.update_person(actor=world.alice, person=person, name="张三丰", staff_number="")
    person.refresh_from_db()
    assert person.name == "张三丰"
    assert person.staff_number is None
    entry = AuditEntry.objects.get(action="person.update")
    assert entry.changes == {"name": ["张三", "张三丰"], "staff_number": ["GZ0001", None]}


def test_update_without_change_writes_no_audit_entry(world):
    person = _person(world)
    ps.update_person(actor=world.alice, person=person, name="张三")
    assert not AuditEntry.objects.filter(action="person.update").exists()


def test_update_refuses_an_id_number_and_a_taken_staff_number(world):
    _person(world, name="李四", staff_number="GZ0002")
    person = _person(world)
    with pytest.raises(ValidationError, match="请勿填写身份证号码"):
        ps.update_person(actor=world.alice, person=person, staff_number="440103199001011234")
    with pytest.raises(ValidationError, match="已被其他人员使用"):
        ps.update_person(actor=world.alice, person=person, staff_number="GZ0002")


def test_moving_a_person_needs_the_right_on_both_units(world):
    from shuzhi.accounts.models import Role
    from shuzhi.core.testing import make_user

    frank = make_user("frank", (Role.ORGANISER, world.city_a))
    person = ps.create_person(actor=frank, unit=world.county_a1, name="王五")
    with pytest.raises(PermissionDenied):
        ps.update_person(actor=frank, person=person, unit=world.county_b1)
    moved = ps.update_person(actor=world.alice, person=person, unit=world.county_b1)
    assert moved.unit == world.county_b1
    assert AuditEntry.objects.get(action="person.update").scope_path == world.county_b1.path


# --- posts -----------------------------------------------------------------------------------


START = D(2021, 1, 1)


def _post(world, person, role=PostRole.SECRETARY, start=START, end=None, unit=None):
    return ps.create_post(
        actor=world.alice,
        person=person,
        unit=unit or world.county_a1,
        role=role,
        start_date=start,
        end_date=end,
    )


@pytest.mark.smoke
def test_create_post_records_audit_in_the_unit_scope(world):
    person = _person(world)
    post = _post(world, person)
    entry = AuditEntry.objects.get(action="post.create")
    assert entry.object_id == str(post.pk)
    assert entry.scope_path == world.county_a1.path
    assert entry.changes["role"] == [None, "secretary"]
    assert entry.changes["start_date"] == [None, "2021-01-01"]


def test_post_end_before_start_is_refused(world):
    person = _person(world)
    with pytest.raises(ValidationError) as exc:
        _post(world, person, start=D(2022, 1, 1), end=D(2021, 12, 31))
    assert "不能早于任职日期" in _messages(exc)
    assert not Post.objects.exists()


def test_unknown_role_is_refused(world):
    with pytest.raises(ValidationError, match="请选择职务"):
        _post(world, _person(world), role="chairman")


@pytest.mark.smoke
def test_overlapping_secretary_is_refused_and_the_clash_named(world):
    _post(world, _person(world), start=D(2021, 1, 1))
    li = _person(world, name="李四")
    with pytest.raises(ValidationError) as exc:
        _post(world, li, start=D(2023, 6, 1))
    message = _messages(exc)
    assert "张三" in message
    assert "2021-01-01 至今" in message
    assert Post.objects.count() == 1
    assert AuditEntry.objects.filter(action="post.create").count() == 1


def test_secretary_terms_may_follow_each_other_but_not_share_a_day(world):
    _post(world, _person(world), start=D(2021, 1, 1), end=D(2023, 12, 31))
    li = _person(world, name="李四")
    with pytest.raises(ValidationError):
        _post(world, li, start=D(2023, 12, 31))
    with pytest.raises(ValidationError):  # an earlier open-ended term would cover it too
        _post(world, li, start=D(2020, 1, 1), end=None)
    assert _post(world, li, start=D(2024, 1, 1)).start_date == D(2024, 1, 1)
    assert _post(world, _person(world, name="王五"), start=D(2019, 1, 1), end=D(2020, 12, 31))


def test_other_roles_may_overlap_and_units_are_independent(world):
    _post(world, _person(world), start=D(2021, 1, 1))
    li = _person(world, name="李四")
    _post(world, li, role=PostRole.DEPUTY_SECRETARY, start=D(2021, 1, 1))
    _post(world, _person(world, name="赵六"), role=PostRole.DEPUTY_SECRETARY, start=D(2021, 1, 1))
    _post(world, li, start=D(2021, 1, 1), unit=world.county_a2)
    assert Post.objects.count() == 4


def test_same_person_same_role_same_unit_cannot_overlap(world):
    person = _person(world)
    _post(world, person, role=PostRole.COMMITTEE_MEMBER, start=D(2021, 1, 1))
    with pytest.raises(ValidationError, match="已有委员任期"):
        _post(world, person, role=PostRole.COMMITTEE_MEMBER, start=D(2022, 1, 1))


def test_posts_need_post_change_on_the_unit(world):
    person = _person(world)
    for actor in (world.bob, world.carol, world.dave, world.erin):
        with pytest.raises(PermissionDenied):
            ps.create_post(
                actor=actor,
                person=person,
                unit=world.county_a1,
                role=PostRole.SECRETARY,
                start_date=D(2021, 1, 1),
            )


def test_end_post_sets_the_date_once(world):
    post = _post(world, _person(world))
    ps.end_post(actor=world.alice, post=post, end_date=D(2024, 3, 31))
    post.refresh_from_db()
    assert post.end_date == D(2024, 3, 31)
    entry = AuditEntry.objects.get(action="post.end")
    assert entry.changes == {"end_date": [None, "2024-03-31"]}
    assert entry.scope_path == world.county_a1.path
    with pytest.raises(ValidationError, match="已于 2024-03-31 离任"):
        ps.end_post(actor=world.alice, post=post, end_date=D(2024, 4, 30))


def test_end_post_before_start_and_without_right_is_refused(world):
    post = _post(world, _person(world))
    with pytest.raises(ValidationError):
        ps.end_post(actor=world.alice, post=post, end_date=D(2020, 12, 31))
    with pytest.raises(PermissionDenied):
        ps.end_post(actor=world.bob, post=post, end_date=D(2024, 1, 1))
    post.refresh_from_db()
    assert post.end_date is None


def test_update_post_rechecks_the_secretary_rule(world):
    first = _post(world, _person(world), start=D(2021, 1, 1), end=D(2023, 12, 31))
    _post(world, _person(world, name="李四"), start=D(2024, 1, 1))
    with pytest.raises(ValidationError, match="李四"):
        ps.update_post(actor=world.alice, post=first, end_date=None)
    updated = ps.update_post(actor=world.alice, post=first, start_date=D(2020, 7, 1))
    assert updated.start_date == D(2020, 7, 1)
    entry = AuditEntry.objects.get(action="post.update")
    assert entry.changes == {"start_date": ["2021-01-01", "2020-07-01"]}


def test_delete_post_keeps_the_values_in_the_audit_trail(world):
    post = _post(world, _person(world))
    pk = post.pk
    ps.delete_post(actor=world.alice, post=post, reason="录错了人")
    assert not Post.objects.filter(pk=pk).exists()
    entry = AuditEntry.objects.get(action="post.delete")
    assert entry.object_id == str(pk)
    assert entry.changes["person"] == ["张三", None]
    assert entry.note == "录错了人"
    assert entry.scope_path == world.county_a1.path


def test_delete_post_needs_the_right(world):
    post = _post(world, _person(world))
    with pytest.raises(PermissionDenied):
        ps.delete_post(actor=world.dave, post=post)
    assert Post.objects.filter(pk=post.pk).exists()
