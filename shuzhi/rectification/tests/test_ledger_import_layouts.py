"""A county's own ledger imported as it is: title rows, two-row and merged group headers,
columns named in the county's words, units named without their suffix, dates as written, the
preview before anything is written, saved mappings, the product's own export imported back
(updating items by serial), and the import_ledger command."""

from __future__ import annotations

import datetime
import io
import re
from collections.abc import Sequence

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import Workbook, load_workbook

from shuzhi.core import clock
from shuzhi.core.models import AuditEntry
from shuzhi.core.testing import make_unit
from shuzhi.orgs.tree.models import Unit
from shuzhi.rectification import ledger_export, ledger_import, services
from shuzhi.rectification.ledger_import import layout
from shuzhi.rectification.ledger_import import preview as ledger_preview
from shuzhi.rectification.ledger_import.dates import is_long_term, parse_date
from shuzhi.rectification.ledger_import.units import stem
from shuzhi.rectification.models import LedgerImport, LedgerMapping, Problem, ProblemStatus
from shuzhi.rectification.selectors import LedgerFilters

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 29)
YEAR = 2026


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    monkeypatch.setattr(clock, "today", lambda: TODAY)


@pytest.fixture
def county(world):
    """Two townships and two villages of the same name under 荔湾区委."""
    antang = make_unit("440103002", "安塘镇党委", "township", world.county_a1, short_name="安塘")
    xinan = make_unit("440103003", "新安镇党委", "township", world.county_a1)
    make_unit("440103002001", "安塘村党支部", "village", antang)
    make_unit("440103003001", "安塘村党支部", "village", xinan)
    return world


def xlsx(rows: Sequence[Sequence[object]], merges: tuple[str, ...] = ()) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(list(row))
    for merged in merges:
        sheet.merge_cells(merged)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# The county's layout: a title, a 填报 line, a two-row header whose 责任主体 is merged over
# 责任领导 / 责任人 and whose other titles are merged down both rows.
COUNTY_ROWS: list[list[object]] = [
    ["荔湾区2026年度巡察反馈问题整改台账", None, None, None, None, None, None, None, None],
    ["填报单位：区委组织部", None, None, None, None, None, "填报时间：2026年11月", None, None],
    ["序号", "单位", "问题类别", "存在问题", "发现时间", "责任主体", None, "完成时限", "完成情况"],
    [None, None, None, None, None, "责任领导", "责任人", None, None],
    [
        1,
        "安塘镇",
        "巡察",
        "党委会议记录不规范",
        "2026年3月",
        "陈镇长",
        "刘委员",
        "10月底",
        "整改中",
    ],
    [
        2,
        "沙面街道",
        "巡察",
        "发展党员培养考察不到位",
        "2026-04-02",
        "",
        "黄书记",
        "2026年10月31日前",
        "",
    ],
    [3, "安塘镇党委", "自查", "软弱涣散村整顿进度慢", 46100, "", "", "长期坚持", "未完成"],
]
COUNTY_MERGES = ("A1:I1", "F3:G3", "A3:A4", "B3:B4", "C3:C4", "D3:D4", "E3:E4", "H3:H4", "I3:I4")


def upload(world, content: bytes, name="县台账.xlsx", **extra) -> LedgerImport:
    return ledger_import.create_import(
        actor=world.dave,
        unit=world.county_a1,
        year=YEAR,
        file_name=name,
        content=content,
        enqueue=False,
        preview=True,
        **extra,
    )


def confirm(world, job, keys=None, picks=None, update=False, save_as=""):
    shown = ledger_preview.build_preview(job)
    assert shown.rows is not None
    return ledger_preview.confirm_import(
        actor=world.dave,
        job=job,
        keys=keys if keys is not None else shown.rows.keys,
        picks=picks or {},
        update=update,
        save_as=save_as,
    )


def test_county_layout_is_understood_and_nothing_is_written_before_confirming(
    county, django_capture_on_commit_callbacks
):
    job = upload(county, xlsx(COUNTY_ROWS, COUNTY_MERGES))
    shown = ledger_preview.build_preview(job)

    assert shown.rows is not None and not shown.problem, shown.problem
    assert [(c.title, c.key) for c in shown.rows.layout] == [
        ("序号", "number"),
        ("单位", "unit_name"),
        ("问题类别", "source"),
        ("存在问题", "description"),
        ("发现时间", "found_on"),
        ("责任主体/责任领导", "leader"),
        ("责任主体/责任人", "person"),
        ("完成时限", "deadline"),
        ("完成情况", "status"),
    ]
    assert shown.rows.header_number == 4 and shown.rows.numbers == [5, 6, 7]
    assert shown.error_count == 0, shown.errors
    assert Problem.objects.count() == 0 and job.status == LedgerImport.Status.PREVIEW

    with django_capture_on_commit_callbacks(execute=True):
        confirm(county, job)
    job.refresh_from_db()
    assert job.status == LedgerImport.Status.DONE, job.errors
    items = {p.description: p for p in Problem.objects.select_related("unit", "source")}
    first = items["党委会议记录不规范"]
    assert (first.unit.name, first.source.name) == ("安塘镇党委", "巡察")
    assert (first.responsible_leader_name, first.responsible_person_name) == ("陈镇长", "刘委员")
    assert first.found_on == datetime.date(2026, 3, 1)
    assert first.deadline == datetime.date(2026, 10, 31)
    assert first.status == ProblemStatus.IN_PROGRESS
    second = items["发展党员培养考察不到位"]
    assert second.unit.name == "沙面街道党工委"
    assert second.deadline == datetime.date(2026, 10, 31)
    third = items["软弱涣散村整顿进度慢"]
    assert third.deadline is None and third.status == ProblemStatus.LONG_TERM
    assert third.found_on == datetime.date(2026, 3, 19)  # Excel serial 46100
    assert any("长期坚持" in message for _r, _c, message in job.errors)
    assert AuditEntry.objects.filter(action="problem.import_confirm", object_id=str(job.pk))


def test_unknown_columns_are_named_and_the_user_maps_them(county):
    rows: list[list[object]] = [
        ["问题清单编号", "整改单位", "反馈渠道", "问题具体内容", "备注"],
        [1, "安塘镇", "巡察", "支部书记培训不到位", "无"],
    ]
    job = upload(county, xlsx(rows))
    shown = ledger_preview.build_preview(job)
    assert shown.rows is not None
    assert [c.key for c in shown.rows.layout] == ["", "unit_name", "", "", ""]
    assert "“问题描述”、“问题来源”" in shown.problem
    assert "问题清单编号、反馈渠道、问题具体内容、备注" in shown.problem

    # An incomplete confirmation changes nothing.
    refused = confirm(county, job)
    job.refresh_from_db()
    assert refused.problem and job.status == LedgerImport.Status.PREVIEW

    # Mapping a field twice is named, not guessed.
    twice = ["", "unit_name", "source", "description", "description"]
    assert "问题具体内容" in ledger_preview.build_preview(job, keys=twice).problem

    keys = ["number", "unit_name", "source", "description", ""]
    done = confirm(county, job, keys=keys, save_as="巡察季度台账")
    assert done.ready
    job.refresh_from_db()
    assert job.status == LedgerImport.Status.PENDING and job.mapping == keys
    saved = LedgerMapping.objects.get(host=county.county_a1, name="巡察季度台账")
    assert saved.columns["反馈渠道"] == "source" and saved.columns["备注"] == ""

    # Next quarter: the saved mapping maps the same layout, columns in another order.
    moved = [["备注", "问题具体内容", "反馈渠道", "整改单位"], ["", "新问题", "巡察", "安塘镇"]]
    again = upload(county, xlsx(moved))
    shown = ledger_preview.build_preview(again)
    assert shown.rows is not None
    assert ledger_preview.keys_of_mapping(saved, shown.rows) == [
        "",
        "description",
        "source",
        "unit_name",
    ]


def test_units_by_suffix_short_name_and_candidates_never_a_guess(county):
    rows: list[list[object]] = [
        ["单位", "问题来源", "问题描述"],
        ["安塘", "巡察", "甲"],  # the short name
        ["中共安塘镇委员会", "巡察", "乙"],  # prefix and suffix
        ["安塘村党支部", "巡察", "丙"],  # two units of that name
        ["安糖镇", "巡察", "丁"],  # a typing slip
    ]
    job = upload(county, xlsx(rows))
    shown = ledger_preview.build_preview(job)
    assert sorted(shown.unresolved) == ["安塘村党支部", "安糖镇"]
    assert shown.ambiguous == {"安塘村党支部"}
    assert {c.code for c in shown.unresolved["安塘村党支部"]} == {"440103002001", "440103003001"}
    assert "安塘镇党委" in [c.name for c in shown.unresolved["安糖镇"]]
    messages = {e.row: e.message for e in shown.errors}
    assert "最接近的是：" in messages[5] and "安塘镇党委（440103002）" in messages[5]
    assert "有 2 个组织与“安塘村党支部”相符" in messages[4]

    picks = {"安塘村党支部": shown.unresolved["安塘村党支部"][1].id, "安糖镇": 0}
    picked = ledger_preview.build_preview(job, picks=picks)
    assert list(picked.unresolved) == ["安糖镇"]
    assert [e.row for e in picked.errors] == [5]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-10-31", datetime.date(2026, 10, 31)),
        ("2026/10/31", datetime.date(2026, 10, 31)),
        ("2026.10.31", datetime.date(2026, 10, 31)),
        ("2026年10月31日", datetime.date(2026, 10, 31)),
        ("2026年10月31日前", datetime.date(2026, 10, 31)),
        ("2026年10月底前", datetime.date(2026, 10, 31)),
        ("2026年9月", datetime.date(2026, 9, 30)),
        ("10月底", datetime.date(2026, 10, 31)),
        ("9月底前", datetime.date(2026, 9, 30)),
        ("11月15日前", datetime.date(2026, 11, 15)),
        ("12月20号之前", datetime.date(2026, 12, 20)),
        ("年底前", datetime.date(2026, 12, 31)),
        ("2027年上半年", datetime.date(2027, 6, 30)),
        ("20261031", datetime.date(2026, 10, 31)),
        ("46326", datetime.date(2026, 10, 31)),
        ("2026-10-31 00:00:00", datetime.date(2026, 10, 31)),
        ("下个月", None),
        ("2026年13月", None),
    ],
)
def test_deadlines_as_written(text, expected):
    assert parse_date(text, end_of_month=True, year=YEAR) == expected


def test_long_term_words():
    assert all(map(is_long_term, ["长期坚持", "持续整改", "常态化推进", "长期"]))
    assert not is_long_term("2026年底")


def test_stems():
    assert stem("中共安塘镇委员会") == "安塘镇"
    assert stem("沙面街道党工委") == "沙面街道"
    assert stem("安塘村党支部") == "安塘村"
    assert stem("荔湾区委") == "荔湾区"


def test_synonyms_are_data_and_each_title_names_one_field():
    names = [name for names in layout.synonyms().values() for name in names]
    assert len(names) == len(set(names))
    for title in (
        "问题类别",
        "问题来源",
        "来源",
        "单位",
        "责任单位",
        "完成情况",
        "状态",
        "发现时间",
    ):
        assert layout.recognise(title)


def _export(world) -> bytes:
    filters = LedgerFilters(year=YEAR, unit=world.county_a1)
    out, _count = ledger_export.export_ledger(actor=world.alice, filters=filters)
    return out.read()


def test_own_export_reimports_unchanged_and_updates_by_serial(
    county, django_capture_on_commit_callbacks
):
    made = []
    for unit, text, deadline in (
        (county.county_a1, "区委理论学习中心组学习不深入", datetime.date(2026, 6, 30)),
        (county.township_a1x, "街道党建经费使用不规范", None),
        (county.township_a1x, "网格党支部覆盖不全", datetime.date(2026, 12, 31)),
    ):
        made.append(
            services.create_problem(
                actor=county.alice,
                unit=unit,
                description=text,
                source="xuncha",
                found_on=datetime.date(2026, 3, 1),
                year=YEAR,
                measures="制定整改方案",
                deadline=deadline,
            )
        )
    services.transition(actor=county.alice, problem=made[1], to_status="in_progress")
    before = list(Problem.objects.order_by("id").values())
    content = _export(county)

    job = upload(county, content, name="台账导出.xlsx", update_existing=True)
    shown = ledger_preview.build_preview(job)
    assert shown.rows is not None and not shown.problem, shown.problem
    assert shown.error_count == 0, shown.errors
    assert (shown.updating, shown.changing, shown.new_rows) == (3, 0, 0)
    with django_capture_on_commit_callbacks(execute=True):
        confirm(county, job, update=True)
    job.refresh_from_db()
    assert job.status == LedgerImport.Status.DONE, job.errors
    assert (job.created_count, job.updated_count) == (0, 0)
    assert list(Problem.objects.order_by("id").values()) == before

    # An edited export changes the item it names, through the service, audited.
    workbook = load_workbook(io.BytesIO(content))
    cells = [
        c for row in workbook.active.iter_rows() for c in row if c.value == "网格党支部覆盖不全"
    ]
    assert len(cells) == 1
    cells[0].value = "网格党支部覆盖不全面"
    out = io.BytesIO()
    workbook.save(out)
    edited = out.getvalue()
    again = upload(county, edited, name="台账修改.xlsx", update_existing=True)
    with django_capture_on_commit_callbacks(execute=True):
        confirm(county, again, update=True)
    again.refresh_from_db()
    assert again.status == LedgerImport.Status.DONE, again.errors
    assert (again.created_count, again.updated_count) == (0, 1)
    made[2].refresh_from_db()
    assert made[2].description == "网格党支部覆盖不全面"
    assert AuditEntry.objects.filter(action="problem.update", object_id=str(made[2].pk)).exists()


def test_an_xls_file_is_told_how_to_convert(county):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        upload(county, b"\xd0\xcf\x11\xe0 old", name="台账.xls")
    assert "另存为" in str(caught.value)


def test_import_ledger_command_prints_the_mapping_and_the_rows(county, tmp_path, capsys):
    path = tmp_path / "县台账.xlsx"
    path.write_bytes(xlsx(COUNTY_ROWS, COUNTY_MERGES))
    call_command(
        "import_ledger",
        str(path),
        "--host",
        "440103",
        "--year",
        "2026",
        "--user",
        "dave",
        "--dry-run",
    )
    out = capsys.readouterr().out
    assert "责任主体/责任领导 → 责任领导" in out
    assert "共 3 行" in out and "未写入" in out
    assert Problem.objects.count() == 0

    call_command("import_ledger", str(path), "--host", "440103", "--year", "2026", "--user", "dave")
    out = capsys.readouterr().out
    assert "新增问题 3 个" in out
    assert Problem.objects.count() == 3

    with pytest.raises(CommandError, match="没有名为"):
        call_command(
            "import_ledger", str(path), "--host", "440103", "--mapping", "不存在", "--user", "dave"
        )


def test_the_demo_leaves_a_mapping_and_an_upload_in_its_preview(county, settings, tmp_path):
    from shuzhi.accounts.models import Role
    from shuzhi.core.testing import make_user
    from shuzhi.rectification.import_demo import MAPPING_NAME, seed_import_demo

    settings.MEDIA_ROOT = tmp_path / "media"
    make_user("inspector", (Role.INSPECTOR, county.county_a1), full_name="陈建华")
    assert seed_import_demo() is not None
    assert seed_import_demo() is None  # once only
    mapping = LedgerMapping.objects.get(host=county.county_a1, name=MAPPING_NAME)
    assert mapping.columns["责任主体/责任人"] == "person"
    job = LedgerImport.objects.get(status=LedgerImport.Status.PREVIEW)
    shown = ledger_preview.build_preview(job)
    assert not shown.problem and "城东新区" in shown.unresolved
    assert Problem.objects.count() == 0


def test_the_api_imports_with_a_saved_mapping(county, client, django_capture_on_commit_callbacks):
    rows: list[list[object]] = [
        ["整改单位", "反馈渠道", "问题具体内容"],
        ["安塘镇", "巡察", "村务监督委员会作用发挥不充分"],
    ]
    job = upload(county, xlsx(rows))
    confirm(county, job, keys=["unit_name", "source", "description"], save_as="季度台账")
    client.force_login(county.dave)

    def post(**extra):
        data = {"file": io.BytesIO(xlsx(rows)), "year": YEAR, "unit": "440103", **extra}
        data["file"].name = "季度.xlsx"
        return client.post("/api/problems/import", data)

    assert post(mapping="没有的方案").status_code == 422
    with django_capture_on_commit_callbacks(execute=True):
        response = post(mapping="季度台账")
    assert response.status_code == 201, response.content
    done = LedgerImport.objects.get(pk=response.json()["id"])
    assert done.status == LedgerImport.Status.DONE, done.errors
    assert Problem.objects.get().description == "村务监督委员会作用发挥不充分"


def test_a_unit_picked_in_the_preview_is_kept_until_confirmed(
    county, client, django_capture_on_commit_callbacks
):
    rows: list[list[object]] = [["单位", "问题来源", "问题描述"], ["安糖镇", "巡察", "笔误的单位"]]
    job = upload(county, xlsx(rows))
    client.force_login(county.dave)
    url = f"/problems/import/{job.pk}/preview/"
    page = client.get(url).content.decode()
    assert "请为以下单位名称选择组织" in page and "安塘镇党委（440103002）" in page
    antang = Unit.objects.get(code="440103002")
    columns = {"col-0": "unit_name", "col-1": "source", "col-2": "description", "width": "3"}
    picked = {**columns, "name-1": "安糖镇", "pick-1": str(antang.pk), "action": "refresh"}
    page = client.post(url, picked).content.decode()
    assert "已为 1 个名称选定组织：安糖镇" in page and "请为以下单位名称选择组织" not in page
    # The page carries the pick along: confirming from it keeps it.
    carried = dict(re.findall(r'name="((?:name|pick)-p\d+)" value="([^"]*)"', page))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {**columns, **carried, "action": "confirm"})
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == LedgerImport.Status.DONE, job.errors
    assert Problem.objects.get().unit == antang
