"""The demo loader: deterministic, consistent tree, one current secretary each, demo sign-ins."""

from __future__ import annotations

import datetime
import hashlib
import itertools
from collections import Counter
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.db.models import Count

from shuzhi.accounts import demo as account_demo
from shuzhi.accounts.models import Grant, Role
from shuzhi.core.models import AuditEntry
from shuzhi.core.testing import ensure_default_unit_types, unit_type
from shuzhi.orgs import demo
from shuzhi.orgs.people.models import Person, Post, PostRole, secretary_of
from shuzhi.orgs.tree import services
from shuzhi.orgs.tree.models import Unit, child_path

pytestmark = pytest.mark.django_db

SCALE = 0.01
# A date after every demo start date: each unit has exactly one secretary then.
AFTER_ALL_STARTS = datetime.date(2025, 6, 30)


def _seed(scale: float = SCALE) -> demo.SeedResult:
    ensure_default_unit_types()
    return demo.seed(scale=scale)


def _fingerprint() -> tuple[str, str]:
    """Hashes of the tree (code, name, parent code) and of the posts, independent of ids."""
    units = Unit.objects.order_by("code").values_list("code", "name", "parent__code")
    posts = Post.objects.order_by("unit__code", "role", "start_date").values_list(
        "unit__code", "role", "person__name", "person__staff_number", "start_date", "end_date"
    )
    return (
        hashlib.sha256(repr(list(units)).encode()).hexdigest(),
        hashlib.sha256(repr(list(posts)).encode()).hexdigest(),
    )


@pytest.mark.smoke
def test_two_runs_into_empty_databases_are_identical():
    with transaction.atomic():
        _seed()
        first = _fingerprint()
        transaction.set_rollback(True)
    assert not Unit.objects.exists()
    _seed()
    assert _fingerprint() == first


def test_scale_sets_the_size_of_each_level():
    _seed(scale=0.05)
    by_type = Counter(Unit.objects.values_list("type__code", flat=True))
    assert by_type["province"] == 1
    assert by_type["city"] == 2
    assert by_type["county"] == 5
    assert by_type["township"] + by_type["subdistrict"] == 60
    assert by_type["village"] + by_type["community"] == 1250
    for chain in ("organs_committee", "sasac", "nonpublic_committee"):
        assert by_type[chain] == 3  # the province's and two cities'
    assert by_type["education_committee"] == 1
    assert by_type["university"] >= 2 and by_type["hospital"] >= 2
    assert by_type["soe"] >= 2 and by_type["branch"] + by_type["general_branch"] >= 4


@pytest.mark.smoke
def test_every_unit_has_exactly_one_current_secretary():
    result = _seed()
    units = Unit.objects.count()
    assert units == result.units
    current = Post.objects.filter(role=PostRole.SECRETARY, end_date__isnull=True)
    per_unit = current.values("unit").annotate(n=Count("id"))
    assert per_unit.count() == units
    assert {row["n"] for row in per_unit} == {1}
    on_date = Post.objects.filter(role=PostRole.SECRETARY).on(AFTER_ALL_STARTS)
    assert on_date.count() == units
    # Senior units have a deputy; staff numbers are DY + digits, never ID numbers.
    for code in ("province", "city", "county", "organs_committee", "sasac"):
        for unit in Unit.objects.filter(type__code=code):
            assert unit.posts.filter(role=PostRole.DEPUTY_SECRETARY).count() == 1
    assert all(
        number is not None and number.startswith("DY") and number[2:].isdigit()
        for number in Person.objects.values_list("staff_number", flat=True)
    )


def test_former_secretaries_answer_who_held_the_post_on_a_date():
    _seed()
    province = Unit.objects.get(code=demo.PROVINCE_CODE)
    posts = list(province.posts.filter(role=PostRole.SECRETARY).order_by("start_date"))
    assert len(posts) == 3
    for earlier, later in itertools.pairwise(posts):
        assert earlier.end_date == later.start_date - datetime.timedelta(days=1)
        assert secretary_of(province, earlier.end_date) == earlier
        assert secretary_of(province, later.start_date) == later
    assert secretary_of(province, posts[0].start_date - datetime.timedelta(days=1)) is None


def test_paths_depths_and_codes_follow_the_parents():
    _seed()
    units = {unit.pk: unit for unit in Unit.objects.select_related("type")}
    lengths = {"city": 6, "county": 6, "township": 9, "subdistrict": 9, "village": 12}
    lengths["community"] = 12
    for unit in units.values():
        parent = units.get(unit.parent_id) if unit.parent_id else None
        assert unit.path == child_path(parent.path if parent else "", unit.pk)
        assert unit.depth == (parent.depth + 1 if parent else 1)
        if unit.type.code in lengths:
            assert len(unit.code) == lengths[unit.type.code] and unit.code.isdigit()
        if unit.type.code in {"county", "township", "subdistrict", "village", "community"}:
            assert parent is not None
            # A county code shares its city's first four digits; below that, the whole code.
            prefix = parent.code[:4] if parent.type.code == "city" else parent.code
            assert unit.code.startswith(prefix)
    assert len({unit.code for unit in units.values()}) == len(units)


def test_seeding_after_existing_rows_keeps_ids_and_sequences_working(world):
    before = Unit.objects.order_by("-pk").first()
    assert before is not None
    _seed()
    province = Unit.objects.get(code=demo.PROVINCE_CODE)
    assert province.pk > before.pk
    # The id sequence has moved past the ids the loader chose, so ordinary creates still work.
    unit = services.create_unit(
        actor=world.root,
        parent=province,
        code="470000ZZ",
        name="测试新建组织",
        type=unit_type("department"),
    )
    previous = Unit.objects.exclude(pk=unit.pk).order_by("-pk").first()
    assert previous is not None
    assert unit.pk > previous.pk


@pytest.mark.smoke
def test_demo_users_and_grants():
    _seed()
    User = get_user_model()
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.check_password(demo.DEMO_PASSWORD)
    expected = {
        "organiser": (Role.ORGANISER, demo.PROVINCE_CODE),
        "city_organiser": (Role.ORGANISER, "470100"),
        "secretary": (Role.SECRETARY, "470102"),
        "inspector": (Role.INSPECTOR, "470200"),
        "viewer": (Role.VIEWER, demo.PROVINCE_CODE),
    }
    for username, (role, code) in expected.items():
        user = User.objects.get(username=username)
        assert user.check_password(demo.DEMO_PASSWORD)
        grants = list(Grant.objects.filter(user=user).values_list("role", "unit__code"))
        assert grants == [(role, code)]
    secretary = User.objects.get(username="secretary")
    county = Unit.objects.get(code="470102")
    post = secretary_of(county, AFTER_ALL_STARTS)
    assert post is not None
    assert secretary.person == post.person
    assert secretary.full_name == secretary.person.name
    city = Unit.objects.get(code="470100")
    city_organiser = User.objects.get(username="city_organiser")
    assert Unit.objects.visible_to(city_organiser).count() == (
        Unit.objects.subtree_of(city).count()
    )
    entry = AuditEntry.objects.get(action="demo.seed")
    assert entry.changes["units"] == [None, Unit.objects.count()]
    assert entry.scope_path == Unit.objects.get(code=demo.PROVINCE_CODE).path
    # Scoped API tokens to show: a city's read-only sync, the province's tree import script.
    sync = city_organiser.api_tokens.get()
    assert (sync.access, sync.areas) == ("read", ["orgs", "rectification", "reports"])
    script = User.objects.get(username="organiser").api_tokens.get()
    assert (script.access, script.areas) == ("write", ["orgs"])


def test_if_empty_does_nothing_the_second_time():
    ensure_default_unit_types()
    out = StringIO()
    call_command("seed_demo", "--if-empty", "--scale", str(SCALE), stdout=out)
    counts = (Unit.objects.count(), Person.objects.count(), Post.objects.count())
    assert "已载入演示数据" in out.getvalue()
    out = StringIO()
    call_command("seed_demo", "--if-empty", "--scale", str(SCALE), stdout=out)
    assert "未载入演示数据" in out.getvalue()
    assert (Unit.objects.count(), Person.objects.count(), Post.objects.count()) == counts
    assert AuditEntry.objects.filter(action="demo.seed").count() == 1
    assert get_user_model().objects.filter(username="admin").count() == 1


def test_seeding_twice_without_if_empty_is_refused_and_changes_nothing():
    _seed()
    count = Unit.objects.count()
    with pytest.raises(CommandError, match="演示数据已存在"):
        call_command("seed_demo", "--scale", str(SCALE), stdout=StringIO())
    with pytest.raises(CommandError, match="--scale"):
        call_command("seed_demo", "--scale", "0", stdout=StringIO())
    assert Unit.objects.count() == count


@pytest.mark.smoke
def test_demo_logins_prints_url_and_every_username():
    _seed()
    out = StringIO()
    call_command("demo_logins", "--url", "http://127.0.0.1:8123/", stdout=out)
    text = out.getvalue()
    assert "http://127.0.0.1:8123/" in text
    for login in account_demo.demo_logins():
        assert login.username in text
    assert text.count(demo.DEMO_PASSWORD) >= len(account_demo.demo_logins())
    assert "江岭省委" in text and "组织部门工作人员" in text


def test_demo_logins_marks_a_changed_password_and_hints_before_seeding():
    out = StringIO()
    call_command("demo_logins", stdout=out)
    assert "seed_demo" in out.getvalue() and "admin" not in out.getvalue()
    _seed()
    viewer = get_user_model().objects.get(username="viewer")
    viewer.set_password("another-password-123")
    viewer.save()
    out = StringIO()
    call_command("demo_logins", stdout=out)
    viewer_line = next(line for line in out.getvalue().splitlines() if line.startswith("viewer"))
    assert "已修改" in viewer_line and demo.DEMO_PASSWORD not in viewer_line
