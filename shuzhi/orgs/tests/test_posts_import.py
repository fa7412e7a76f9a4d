"""Posts import: every kind of bad row, all-or-nothing, good rows only, GBK and real XLSX files,
and the management command."""

import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from shuzhi.core.models import AuditEntry
from shuzhi.orgs.imports import posts as posts_import
from shuzhi.orgs.imports.tabular import read_csv, read_xlsx
from shuzhi.orgs.people import services as ps
from shuzhi.orgs.people.models import Person, Post, PostRole

pytestmark = pytest.mark.django_db

D = datetime.date
HEADER = "unit_code,person_name,staff_number,role,start_date,end_date"


def table(*lines: str, header: str = HEADER, encoding: str = "utf-8"):
    return read_csv("\n".join([header, *lines]).encode(encoding))


def errors_of(result) -> list[tuple[int, str]]:
    return [(e.row, e.column) for e in result.errors]


@pytest.mark.smoke
def test_good_file_creates_people_and_posts_with_audit(world):
    result = posts_import.import_posts(
        table(
            "440103,张三,GZ0001,书记,2021-01-01,2023-12-31",
            "440103,李四,,secretary,2024-01-01,",
            "440103,张三,GZ0001,委员,2024-01-01,",
            "440104,王五,,组织委员,2022-05-01,",
        ),
        world.alice,
    )
    assert result.errors == []
    assert result.written
    assert result.counts["people_created"] == 3
    assert result.counts["posts_created"] == 4
    zhang = Person.objects.get(staff_number="GZ0001")
    assert zhang.unit == world.county_a1
    assert set(zhang.posts.values_list("role", flat=True)) == {"secretary", "committee_member"}
    assert Person.objects.get(name="王五").unit == world.county_a2
    assert AuditEntry.objects.filter(action="post.create").count() == 4
    entry = AuditEntry.objects.filter(action="person.create", object_label="王五").get()
    assert entry.scope_path == world.county_a2.path
    assert entry.actor == world.alice


@pytest.mark.smoke
def test_every_bad_row_is_reported_and_nothing_is_written(world):
    rows = [
        "999999,张三,,书记,2021-01-01,",  # 2 unknown unit
        "440103,,,书记,2021-01-01,",  # 3 empty name
        "440103,李四,,主任,2021-01-01,",  # 4 unknown role
        "440103,王五,,委员,2021-13-01,",  # 5 bad date
        "440103,赵六,,委员,2022-01-01,2021-01-01",  # 6 end before start
        "440103,孙七,440103199001011234,委员,2021-01-01,",  # 7 ID number
        "440104,周八,,书记,2021-01-01,",  # 8 secretary …
        "440104,吴九,,书记,2022-01-01,",  # 9 … overlapping within the file
        "440103,郑十,,委员,,",  # 10 missing start date
        "440103,好人,,委员,2021-01-01,",  # 11 the only good row
    ]
    result = posts_import.import_posts(table(*rows), world.alice)
    assert not result.written
    assert errors_of(result) == [
        (2, "unit_code"),
        (3, "person_name"),
        (4, "role"),
        (5, "start_date"),
        (6, "end_date"),
        (7, "staff_number"),
        (9, "start_date"),
        (10, "start_date"),
    ]
    messages = {e.row: e.message for e in result.errors}
    assert "999999" in messages[2]
    assert "请勿填写身份证号码" in messages[7]
    assert "第 8 行" in messages[9] and "周八" in messages[9]
    assert not Person.objects.exists()
    assert not Post.objects.exists()
    assert not AuditEntry.objects.exists()


def test_good_rows_only_writes_the_good_rows(world):
    result = posts_import.import_posts(
        table("440103,张三,,书记,2021-01-01,", "440103,李四,,主任,2021-01-01,"),
        world.alice,
        good_rows_only=True,
    )
    assert result.written
    assert errors_of(result) == [(3, "role")]
    assert result.counts["posts_created"] == 1
    assert result.counts["rows_skipped"] == 1
    assert list(Person.objects.values_list("name", flat=True)) == ["张三"]


def test_secretary_overlapping_the_register_is_refused(world):
    zhang = ps.create_person(actor=world.alice, unit=world.county_a1, name="张三")
    ps.create_post(
        actor=world.alice,
        person=zhang,
        unit=world.county_a1,
        role=PostRole.SECRETARY,
        start_date=D(2021, 1, 1),
    )
    result = posts_import.import_posts(table("440103,李四,,书记,2024-01-01,"), world.alice)
    assert errors_of(result) == [(2, "start_date")]
    assert "张三" in result.errors[0].message
    assert Post.objects.count() == 1


def test_a_file_may_end_the_old_secretary_and_add_the_new_one(world):
    zhang = ps.create_person(actor=world.alice, unit=world.county_a1, name="张三")
    ps.create_post(
        actor=world.alice,
        person=zhang,
        unit=world.county_a1,
        role=PostRole.SECRETARY,
        start_date=D(2021, 1, 1),
    )
    result = posts_import.import_posts(
        table("440103,李四,,书记,2024-01-01,", "440103,张三,,书记,2021-01-01,2023-12-31"),
        world.alice,
    )
    assert result.errors == []
    assert result.counts["posts_updated"] == 1
    assert result.counts["posts_created"] == 1
    assert zhang.posts.get().end_date == D(2023, 12, 31)


def test_reimporting_the_same_file_changes_nothing(world):
    rows = ("440103,张三,GZ0001,书记,2021-01-01,", "440103,李四,,委员,2021-01-01,")
    posts_import.import_posts(table(*rows), world.alice)
    result = posts_import.import_posts(table(*rows), world.alice)
    assert result.errors == []
    assert result.counts["posts_unchanged"] == 2
    assert result.counts["people_created"] == 0
    assert Post.objects.count() == 2
    assert Person.objects.count() == 2


def test_people_are_matched_by_staff_number_then_by_name_in_the_unit(world):
    numbered = ps.create_person(
        actor=world.alice, unit=world.county_b1, name="张三", staff_number="SZ0001"
    )
    named = ps.create_person(actor=world.alice, unit=world.county_a1, name="李四")
    posts_import.import_posts(
        table("440103,张三,SZ0001,委员,2021-01-01,", "440103,李四,,委员,2021-01-01,"),
        world.alice,
    )
    assert {p.person for p in Post.objects.all()} == {numbered, named}
    assert Person.objects.count() == 2


def test_a_new_person_on_several_rows_is_created_once(world):
    result = posts_import.import_posts(
        table(
            "440103,张三,GZ0009,委员,2021-01-01,2021-12-31",
            "440103,张三,,书记,2022-01-01,",
            "440104,张三,GZ0009,委员,2022-01-01,",
        ),
        world.alice,
    )
    assert result.counts["people_created"] == 1
    assert Person.objects.get().posts.count() == 3


def test_staff_number_with_another_name_is_refused(world):
    ps.create_person(actor=world.alice, unit=world.county_b1, name="张三", staff_number="SZ0001")
    result = posts_import.import_posts(table("440103,李四,SZ0001,委员,2021-01-01,"), world.alice)
    assert errors_of(result) == [(2, "staff_number")]
    assert "张三" not in result.errors[0].message  # never reveal someone else's name
    result = posts_import.import_posts(
        table("440103,王五,GZ7,委员,2021-01-01,", "440104,赵六,GZ7,委员,2021-01-01,"),
        world.alice,
    )
    assert errors_of(result) == [(3, "staff_number")]


def test_two_people_of_the_same_name_in_a_unit_need_a_staff_number(world):
    for _ in range(2):
        ps.create_person(actor=world.alice, unit=world.county_a1, name="张三")
    result = posts_import.import_posts(table("440103,张三,,委员,2021-01-01,"), world.alice)
    assert errors_of(result) == [(2, "person_name")]


def test_permission_and_scope_are_checked_per_row(world):
    # bob sees city A but may change nothing; city B is outside his scope altogether.
    result = posts_import.import_posts(
        table("440103,张三,,委员,2021-01-01,", "440303,李四,,委员,2021-01-01,"), world.bob
    )
    assert errors_of(result) == [(2, "unit_code"), (3, "unit_code")]
    assert "没有权限" in result.errors[0].message
    assert "不存在或不在您的管理范围内" in result.errors[1].message


@pytest.mark.smoke
def test_gbk_csv_with_chinese_labels(world):
    data = table(
        "440103,张三,,书记,2021/1/1,",
        "440103,李四,,副书记,2021年3月1日,",
        "440103,王五,,组织委员,20210401,",
        encoding="gbk",
    )
    assert data.encoding == "gb18030"
    result = posts_import.import_posts(data, world.alice)
    assert result.errors == []
    roles = dict(Post.objects.values_list("person__name", "role"))
    assert roles == {"张三": "secretary", "李四": "deputy_secretary", "王五": "organiser"}
    assert Post.objects.get(person__name="李四").start_date == D(2021, 3, 1)


@pytest.mark.smoke
def test_real_xlsx_with_date_cells(world):
    book = Workbook()
    sheet = book.active
    sheet.append([*HEADER.split(","), "phone", "email"])
    sheet.append([440103, "张三", "GZ0001", "书记", datetime.datetime(2024, 1, 5), None, "", ""])
    sheet.append(
        ["440103", "李四", None, "委员", "2023-03-01", D(2024, 6, 30), "13800000000", "li@a.cn"]
    )
    stream = io.BytesIO()
    book.save(stream)
    stream.seek(0)
    result = posts_import.import_posts(read_xlsx(stream), world.alice)
    assert result.errors == []
    assert Post.objects.get(person__name="张三").start_date == D(2024, 1, 5)
    li = Person.objects.get(name="李四")
    assert li.phone == "13800000000"
    assert li.email == "li@a.cn"
    assert li.posts.get().end_date == D(2024, 6, 30)


def test_parse_date_accepts_excel_datetimes_and_refuses_nonsense():
    assert posts_import.parse_date("2024-01-05 00:00:00") == D(2024, 1, 5)
    assert posts_import.parse_date("2024-01-05") == D(2024, 1, 5)
    assert posts_import.parse_date("") is None
    for bad in ("2024-02-30", "05/01/2024", "昨天", "2024-1"):
        with pytest.raises(ValueError):
            posts_import.parse_date(bad)


def test_missing_columns_and_extra_cells_are_reported(world):
    result = posts_import.import_posts(
        table("440103,张三", header="unit_code,person_name"), world.alice
    )
    assert errors_of(result) == [(1, "role,start_date")]
    result = posts_import.import_posts(table("440103,张三,,委员,2021-01-01,,多余"), world.alice)
    assert errors_of(result) == [(2, "")]


def test_write_rechecks_the_secretary_rule(world):
    rows, errors = posts_import.validate_posts(table("440103,李四,,书记,2024-01-01,"), world.alice)
    assert errors == []
    # Someone registers a secretary between the check and the write (an import job waits).
    zhang = ps.create_person(actor=world.alice, unit=world.county_a1, name="张三")
    ps.create_post(
        actor=world.alice,
        person=zhang,
        unit=world.county_a1,
        role=PostRole.SECRETARY,
        start_date=D(2023, 1, 1),
    )
    with pytest.raises(ValidationError, match="张三"):
        posts_import.write_posts(rows, world.alice)
    assert Post.objects.count() == 1
    assert not Person.objects.filter(name="李四").exists()


def _file(tmp_path, *lines, name="posts.csv"):
    path = tmp_path / name
    path.write_bytes("\n".join([HEADER, *lines]).encode("utf-8"))
    return str(path)


def test_command_imports_a_good_file(world, tmp_path):
    out = io.StringIO()
    call_command("import_posts", _file(tmp_path, "440103,张三,,书记,2021-01-01,"), stdout=out)
    assert "新增职务 1 条" in out.getvalue()
    entry = AuditEntry.objects.get(action="post.create")
    assert entry.actor is None
    assert entry.actor_label == posts_import.COMMAND_LINE_ACTOR


def test_command_fails_with_the_report_and_writes_nothing(world, tmp_path):
    err = io.StringIO()
    path = _file(tmp_path, "440103,张三,,书记,2021-01-01,", "440103,李四,,主任,2021-01-01,")
    with pytest.raises(CommandError, match="未导入任何数据"):
        call_command("import_posts", path, "--user", "alice", stderr=err)
    assert "第 3 行：[role]" in err.getvalue()
    assert not Post.objects.exists()
    with pytest.raises(CommandError, match="已跳过"):
        call_command("import_posts", path, "--user", "alice", "--good-rows-only", stderr=err)
    assert Post.objects.get().person.name == "张三"
    assert AuditEntry.objects.get(action="post.create").actor == world.alice


def test_command_uses_the_user_s_permissions(world, tmp_path):
    path = _file(tmp_path, "440103,张三,,书记,2021-01-01,")
    with pytest.raises(CommandError):
        call_command("import_posts", path, "--user", "bob", stderr=io.StringIO())
    with pytest.raises(CommandError, match="用户不存在"):
        call_command("import_posts", path, "--user", "nobody")
    assert not Post.objects.exists()


def test_overlapping_terms_of_one_person_in_one_role_are_refused(world):
    zhang = ps.create_person(actor=world.alice, unit=world.county_a1, name="张三")
    ps.create_post(
        actor=world.alice,
        person=zhang,
        unit=world.county_a1,
        role=PostRole.COMMITTEE_MEMBER,
        start_date=D(2021, 1, 1),
    )
    result = posts_import.import_posts(
        table(
            "440103,张三,,委员,2022-01-01,",  # overlaps the registered term
            "440104,王五,,委员,2021-01-01,",
            "440104,王五,,委员,2022-01-01,",  # overlaps row 3
            "440104,王五,,委员,2021-01-01,",  # repeats row 3 in the same file
        ),
        world.alice,
    )
    assert errors_of(result) == [(2, "start_date"), (4, "start_date"), (5, "start_date")]
    assert "第 3 行" in result.errors[1].message
    assert Post.objects.count() == 1
