"""Unit services: create, update, move, merge, dissolve, reorder — with audit and permissions."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from shuzhi.accounts.models import Role
from shuzhi.core.models import AuditEntry
from shuzhi.core.testing import make_user, unit_type
from shuzhi.orgs.tree import services
from shuzhi.orgs.tree.models import Unit, UnitStatus

pytestmark = pytest.mark.django_db


def test_create_sets_path_depth_and_audits(world):
    unit = services.create_unit(
        actor=world.alice,
        parent=world.county_a2,
        code="440104001",
        name="北京街道党工委",
        type=unit_type("subdistrict"),
    )
    assert unit.path == f"{world.county_a2.path}{unit.pk}/"
    assert unit.depth == world.county_a2.depth + 1
    entry = AuditEntry.objects.get(action="unit.create", object_id=str(unit.pk))
    assert entry.actor == world.alice
    assert entry.changes["name"] == [None, "北京街道党工委"]


def test_create_refuses_duplicate_code_and_long_name(world):
    with pytest.raises(ValidationError) as exc:
        services.create_unit(
            actor=world.alice,
            parent=world.city_a,
            code="440103",
            name="重复",
            type=unit_type("county"),
        )
    assert "已被使用" in str(exc.value)
    with pytest.raises(ValidationError):
        services.create_unit(
            actor=world.alice,
            parent=world.city_a,
            code="X1",
            name="长" * 101,
            type=unit_type("county"),
        )
    assert not Unit.objects.filter(code="X1").exists()


def test_create_outside_scope_is_refused(world):
    with pytest.raises(PermissionDenied):
        services.create_unit(
            actor=world.bob, parent=world.city_a, code="X2", name="越权", type=unit_type("county")
        )


def test_move_rewrites_subtree_paths(world):
    services.move_unit(actor=world.alice, unit=world.county_a1, new_parent=world.city_b)
    village = Unit.objects.get(pk=world.village_a1x1.pk)
    assert village.path.startswith(Unit.objects.get(pk=world.city_b.pk).path)
    assert village.depth == 5
    assert Unit.objects.subtree_of(world.city_b).count() == 5
    assert AuditEntry.objects.filter(action="unit.move").count() == 1


def test_move_into_own_subtree_is_refused(world):
    with pytest.raises(ValidationError) as exc:
        services.move_unit(actor=world.alice, unit=world.city_a, new_parent=world.township_a1x)
    assert "自己" in str(exc.value)
    assert Unit.objects.get(pk=world.city_a.pk).parent_id == world.province.pk


def test_merge_moves_children_and_marks_merged(world):
    services.merge_unit(
        actor=world.alice,
        unit=world.county_a1,
        into=world.county_a2,
        date=datetime.date(2026, 1, 1),
    )
    merged = Unit.objects.get(pk=world.county_a1.pk)
    assert merged.status == UnitStatus.MERGED and merged.merged_into_id == world.county_a2.pk
    assert Unit.objects.get(pk=world.township_a1x.pk).parent_id == world.county_a2.pk


def test_dissolve_requires_no_active_children(world):
    with pytest.raises(ValidationError):
        services.dissolve_unit(actor=world.alice, unit=world.county_a1, date=datetime.date.today())
    services.dissolve_unit(actor=world.alice, unit=world.county_b1, date=datetime.date.today())
    assert Unit.objects.get(pk=world.county_b1.pk).status == UnitStatus.DISSOLVED


def test_reorder_children(world):
    services.reorder_children(
        actor=world.alice, parent=world.city_a, ordered_ids=[world.county_a2.pk, world.county_a1.pk]
    )
    assert list(Unit.objects.filter(parent=world.city_a).values_list("code", flat=True)) == [
        "440104",
        "440103",
    ]
    with pytest.raises(ValidationError):
        services.reorder_children(actor=world.alice, parent=world.city_a, ordered_ids=[1])


def test_audit_entries_are_immutable(world):
    services.update_unit(actor=world.alice, unit=world.city_a, name="中共广州市委员会")
    entry = AuditEntry.objects.get(action="unit.update")
    assert entry.changes == {"name": ["广州市委", "中共广州市委员会"]}
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().delete()


def test_a_code_taken_out_of_sight_reads_like_any_unusable_code(world):
    """An organiser of city A learns nothing of city B's codes: a code taken there is refused
    with the very message a malformed code gets, not "already used"."""
    olga = make_user("olga", (Role.ORGANISER, world.city_a))
    messages = []
    for code in ("440303", "44 03"):
        with pytest.raises(ValidationError) as exc:
            services.create_unit(
                actor=olga, parent=world.city_a, code=code, name="新区委", type=unit_type("county")
            )
        messages.append(exc.value.message_dict["code"][0].replace(code, "CODE"))
    assert messages[0] == messages[1]
    assert "已被使用" not in messages[0]
    # A code in sight still says plainly that it is taken.
    with pytest.raises(ValidationError, match="已被使用"):
        services.create_unit(
            actor=olga, parent=world.city_a, code="440103", name="重复", type=unit_type("county")
        )
    with pytest.raises(ValidationError) as exc:
        services.update_unit(actor=olga, unit=world.county_a2, code="440303")
    assert exc.value.message_dict["code"][0].replace("440303", "CODE") == messages[0]
