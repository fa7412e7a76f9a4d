"""Round services: creation with default policies, policy validation, reporters chosen by code,
by type and from a file, reporter resolution from posts, and the audit trail of each."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from shuzhi.core.models import AuditEntry
from shuzhi.core.testing import make_unit, unit_type
from shuzhi.cycles import policy
from shuzhi.cycles import services as cs
from shuzhi.cycles.models import Round, RoundStatus
from shuzhi.cycles.transitions import ROUND
from shuzhi.meetings import services as ms
from shuzhi.orgs.imports.tabular import read_csv
from shuzhi.orgs.people.models import Person

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.mark.smoke
def test_create_round_with_defaults_and_audit(world):
    round = cs.create_round(actor=world.alice, host=world.province, year=2026)
    assert round.title == "广东省委2026年度抓基层党建工作述职评议考核"
    assert [s["label"] for s in round.scale] == ["好", "较好", "一般", "差"]
    assert round.categories == policy.default_categories()
    entry = AuditEntry.objects.get(action="round.create")
    assert entry.object_id == str(round.pk) and entry.scope_path == world.province.path


def test_create_round_refusals(world):
    with pytest.raises(PermissionDenied):
        cs.create_round(actor=world.bob, host=world.city_a, year=2026)
    with pytest.raises(PermissionDenied):
        cs.create_round(actor=world.erin, host=world.province, year=2026)
    cs.create_round(actor=world.alice, host=world.province, year=2026)
    with pytest.raises(ValidationError) as exc:
        cs.create_round(actor=world.alice, host=world.province, year=2026)
    assert "已有 2026 年度" in exc.value.message_dict["year"][0]
    with pytest.raises(ValidationError) as exc:
        cs.create_round(actor=world.alice, host=world.province, year=1999)
    assert "年度必须在" in exc.value.message_dict["year"][0]


@pytest.mark.parametrize(
    ("kwargs", "field", "text"),
    [
        ({"scale": [{"code": "good", "label": "好", "points": 100}]}, "scale", "至少要有两个"),
        (
            {"categories": [{"code": "a", "label": "甲", "weight": "0.6"}]},
            "categories",
            "权重之和必须等于 1",
        ),
        ({"quotas": {"excellent": 3}}, "quotas", "不在评价等次中"),
        ({"quotas": {"good": -1}}, "quotas", "非负整数"),
        ({"quorum_ratio": "1.2"}, "quorum_ratio", "小于 1"),
        ({"quorum_ratio": "abc"}, "quorum_ratio", "必须是数字"),
        ({"live_rotation_years": 0}, "live_rotation_years", "1 到 10"),
        ({"min_ballots": 1}, "min_ballots", "不能少于 2"),
        ({"min_ballots": 1001}, "min_ballots", "2 到 1000"),
        ({"min_ballots": True}, "min_ballots", "2 到 1000"),
        ({"sub_items": [{"code": "a", "label": ""}]}, "sub_items", "名称"),
        ({"title": "  "}, "title", "不能为空"),
    ],
)
def test_update_round_validates_policies(world, kwargs, field, text):
    round = cs.create_round(actor=world.alice, host=world.province, year=2026)
    with pytest.raises(ValidationError) as exc:
        cs.update_round(actor=world.alice, round=round, **kwargs)
    assert text in " ".join(exc.value.message_dict[field])
    round.refresh_from_db()
    assert round.scale == policy.default_scale()
    assert not AuditEntry.objects.filter(action="round.update").exists()


def test_min_ballots_cannot_go_below_the_site_floor(world, settings):
    """A round cannot show results behind fewer ballots than the site's floor."""
    settings.SHUZHI_BALLOT_MIN_FLOOR = 5
    round = cs.create_round(actor=world.alice, host=world.province, year=2026)
    assert round.min_ballots == 5
    with pytest.raises(ValidationError) as exc:
        cs.update_round(actor=world.alice, round=round, min_ballots=4)
    assert "不能少于 5" in exc.value.message_dict["min_ballots"][0]
    round.refresh_from_db()
    assert round.min_ballots == 5
    assert cs.update_round(actor=world.alice, round=round, min_ballots=8).min_ballots == 8
    settings.SHUZHI_BALLOT_MIN_FLOOR = 12
    assert cs.create_round(actor=world.alice, host=world.city_a, year=2026).min_ballots == 12


def test_update_round_records_changes(world):
    round = cs.create_round(actor=world.alice, host=world.province, year=2026)
    scale = [
        {"code": "a", "label": "优秀", "points": 100},
        {"code": "b", "label": "称职", "points": 80},
        {"code": "c", "label": "不称职", "points": 0},
    ]
    cs.update_round(
        actor=world.alice, round=round, scale=scale, quotas={"a": 3}, quorum_ratio="0.667"
    )
    round.refresh_from_db()
    assert round.scale == scale and round.quotas == {"a": 3}
    assert str(round.quorum_ratio) == "0.667"
    entry = AuditEntry.objects.get(action="round.update")
    assert set(entry.changes) == {"scale", "quotas", "quorum_ratio"}
    with pytest.raises(PermissionDenied):
        cs.update_round(actor=world.bob, round=round, title="改名")


def test_round_transitions_table(world):
    round = cs.create_round(actor=world.alice, host=world.province, year=2026)
    for status in RoundStatus.values:
        allowed = status in ROUND.targets(round.status)
        if not allowed:
            with pytest.raises(ValidationError):
                cs.transition_round(actor=world.alice, round=round, status=status)
    cs.transition_round(actor=world.alice, round=round, status=RoundStatus.ACTIVE)
    cs.transition_round(actor=world.alice, round=round, status=RoundStatus.CLOSED)
    with pytest.raises(ValidationError):
        cs.update_round(actor=world.alice, round=round, title="已结束")


@pytest.mark.smoke
def test_reporters_by_code_resolve_secretaries_on_today(world, secretaries):
    round = cs.create_round(actor=world.alice, host=world.province, year=2026)
    cs.add_reporters_by_codes(actor=world.alice, round=round, codes="440300，440100")
    reporters = list(round.reporters.select_related("unit", "person"))
    assert [r.unit.code for r in reporters] == ["440100", "440300"]
    assert reporters[1].person is not None
    assert reporters[1].person.name == "丙书记"
    entry = AuditEntry.objects.get(action="round.reporters.add")
    assert entry.changes["reporters"][1] == ["440100", "440300"]


def test_reporters_resolve_on_first_session_date_and_refresh(world, secretaries):
    round = cs.create_round(actor=world.alice, host=world.province, year=2026)
    ms.create_session(actor=world.alice, round=round, title="会", date=D(2026, 3, 1))
    cs.add_reporters_by_codes(actor=world.alice, round=round, codes=["440100"])
    reporter = round.reporters.get()
    assert reporter.person is not None
    assert reporter.person.name == "甲书记"  # secretary on 2026-03-01, not today
    round.sessions.update(date=D(2026, 12, 20))
    assert cs.refresh_reporter_people(actor=world.alice, round=round) == 1
    reporter.refresh_from_db()
    assert reporter.person is not None
    assert reporter.person.name == "乙书记"
    assert AuditEntry.objects.filter(action="round.reporters.refresh").count() == 1
    other = Person.objects.create(name="代述职人", unit=world.city_a)
    cs.set_reporter_person(actor=world.alice, reporter=reporter, person=other)
    reporter.refresh_from_db()
    assert reporter.person == other
    entry = AuditEntry.objects.get(action="round.reporter.person")
    assert entry.changes == {"person": ["乙书记", "代述职人"]}


def test_reporters_by_code_refuse_every_bad_code_and_add_nothing(world):
    round = cs.create_round(actor=world.alice, host=world.city_a, year=2026)
    with pytest.raises(ValidationError) as exc:
        cs.add_reporters_by_codes(
            actor=world.alice, round=round, codes="440103 440103 999999 440303 440100"
        )
    problems = exc.value.message_dict["codes"]
    assert any("重复" in p for p in problems)
    assert any("找不到组织代码“999999”" in p for p in problems)
    assert any("不在“广州市委”的下级范围内" in p for p in problems)
    assert any("主办组织本身" in p for p in problems)
    assert not round.reporters.exists()
    with pytest.raises(ValidationError):
        cs.add_reporters_by_codes(actor=world.alice, round=round, codes="  ")


def test_reporters_by_type_direct_or_whole_subtree(world):
    round = cs.create_round(actor=world.alice, host=world.province, year=2026)
    added = cs.add_reporters_by_type(actor=world.alice, round=round, type=unit_type("city"))
    assert sorted(r.unit.code for r in added) == ["440100", "440300"]
    # Adding again adds nothing new.
    assert cs.add_reporters_by_type(actor=world.alice, round=round, type=unit_type("city")) == []
    with pytest.raises(ValidationError) as exc:
        cs.add_reporters_by_type(actor=world.alice, round=round, type=unit_type("county"))
    assert "直属下级中没有" in exc.value.message_dict["type"][0]
    added = cs.add_reporters_by_type(
        actor=world.alice, round=round, type=unit_type("county"), direct_only=False
    )
    assert sorted(r.unit.code for r in added) == ["440103", "440104", "440303"]


def test_import_reporters_lists_bad_rows_and_adds_nothing(world):
    round = cs.create_round(actor=world.alice, host=world.city_a, year=2026)
    make_unit("440105", "海珠区委", "county", world.city_a)
    data = "code\n440103\n999999\n440303\n440103\n\n440104\n".encode("gbk")
    reporters, errors = cs.import_reporters(actor=world.alice, round=round, table=read_csv(data))
    assert reporters == []
    assert [(e.row, e.message[:4]) for e in errors] == [
        (3, "找不到组"),
        (4, "“罗湖区"),
        (5, "组织代码"),
    ]
    assert "与第 2 行重复" in errors[2].message
    assert not round.reporters.exists()
    good = read_csv("组织代码\n440104\n440105\n".encode())
    reporters, errors = cs.import_reporters(actor=world.alice, round=round, table=good)
    assert errors == [] and len(reporters) == 2
    assert "从文件导入" in AuditEntry.objects.get(action="round.reporters.add").note


def test_import_reporters_from_xlsx(world):
    from openpyxl import Workbook

    from shuzhi.orgs.imports.tabular import read_xlsx

    round = cs.create_round(actor=world.alice, host=world.city_a, year=2026)
    book = Workbook()
    book.active.append(["code"])
    book.active.append([440103])
    stream = io.BytesIO()
    book.save(stream)
    stream.seek(0)
    reporters, errors = cs.import_reporters(actor=world.alice, round=round, table=read_xlsx(stream))
    assert errors == [] and [r.unit.code for r in reporters] == ["440103"]


def test_remove_reporter_refused_when_on_an_agenda(world, province_round):
    session = ms.create_session(
        actor=world.alice, round=province_round, title="会", date=D(2026, 12, 20)
    )
    ms.add_session_reporters(actor=world.alice, session=session)
    reporter = province_round.reporters.first()
    with pytest.raises(ValidationError):
        cs.remove_reporter(actor=world.alice, reporter=reporter)
    session.reporters.all().delete()
    with pytest.raises(PermissionDenied):
        cs.remove_reporter(actor=world.bob, reporter=reporter)
    cs.remove_reporter(actor=world.alice, reporter=reporter)
    assert province_round.reporters.count() == 1
    assert AuditEntry.objects.filter(action="round.reporters.remove").count() == 1


def test_round_of_a_county_resolves_nobody_without_posts(world):
    round = cs.create_round(actor=world.alice, host=world.county_a1, year=2026)
    cs.add_reporters_by_type(actor=world.alice, round=round, type=unit_type("subdistrict"))
    assert round.reporters.get().person is None
    assert Round.objects.count() == 1
