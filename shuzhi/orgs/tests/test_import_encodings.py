"""Unit and people files as real desktops save them: Excel's "Unicode 文本" (UTF-16 with BOM,
tab-separated), UTF-8 with and without BOM, GB18030 with characters GBK lacks; names whose
rare characters became "?" in an ANSI save are named and imported only when confirmed."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError

from shuzhi.core.bulk.sheets import TabularError, decode, read_sheet
from shuzhi.orgs.imports import posts as posts_import
from shuzhi.orgs.imports import units as importing
from shuzhi.orgs.imports.models import ImportStatus
from shuzhi.orgs.imports.tabular import read_csv, read_table
from shuzhi.orgs.tree.models import Unit

pytestmark = pytest.mark.django_db

# 𬌗 (U+2C317) and 䶮 (U+4DAE) are not in GBK; GB18030 and UTF-16 carry them.
RARE = "𬌗䶮测试镇党委"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def run(actor, content: bytes, *, name="units.csv", accept=False):
    job = importing.create_job(
        actor=actor,
        file_name=name,
        content=content,
        enqueue=False,
        accept_question_marks=accept,
    )
    return importing.run_job(job.pk)


def unit_lines(name: str, sep: str = ",") -> str:
    rows = [["code", "name", "parent_code", "type"], ["440103099", name, "440103", "township"]]
    return "\r\n".join(sep.join(row) for row in rows) + "\r\n"


@pytest.mark.parametrize(
    ("encoding", "sep", "file_name"),
    [
        ("utf-16", "\t", "units.txt"),  # Excel "Unicode 文本": BOM + UTF-16LE, tabs
        ("utf-16", "\t", "units.csv"),
        ("utf-8-sig", ",", "units.csv"),
        ("utf-8", ",", "units.csv"),
        ("gb18030", ",", "units.csv"),
    ],
)
def test_unit_files_in_every_desktop_encoding_keep_rare_names(world, encoding, sep, file_name):
    content = unit_lines(RARE, sep).encode(encoding)
    if encoding == "utf-16":
        assert content[:2] == b"\xff\xfe"
    job = run(world.alice, content, name=file_name)
    assert job.status == ImportStatus.DONE, job.errors
    assert Unit.objects.get(code="440103099").name == RARE


def test_gbk_cannot_carry_the_rare_name_and_the_advice_never_says_gbk():
    with pytest.raises(UnicodeEncodeError):
        RARE.encode("gbk")
    with pytest.raises(TabularError) as refused:
        decode(b"code,name\n\x81\x30\xff\xff\n")
    assert "UTF-8 或 GB18030" in str(refused.value) and "GBK" not in str(refused.value)
    assert decode("名称".encode("utf-16"))[1] == "utf-16"


def test_a_tab_separated_sheet_is_split_on_tabs():
    sheet = read_sheet("a.txt", io.BytesIO("甲\t乙,丙\n1\t2,3\n".encode("utf-16")))
    assert sheet.header == ["甲", "乙,丙"] and list(sheet.body[0]) == ["1", "2,3"]


def test_names_with_question_marks_are_named_and_need_confirmation(world):
    lost = RARE.encode("gbk", errors="replace").decode("gbk")  # an ANSI save
    assert lost == "??测试镇党委"
    # "?" as an ANSI save leaves it, U+FFFD as a lossy decoder leaves it.
    content = (unit_lines(lost) + "440103098,\ufffd安镇党委,440103,township\r\n").encode("utf-8")
    job = run(world.alice, content)
    assert job.status == ImportStatus.FAILED
    rows = {(row, column) for row, column, _message in job.errors}
    assert rows == {(2, "name"), (3, "name")}
    assert "疑似文件另存为 ANSI（GBK）编码时丢失了生僻字" in job.errors[0][2]
    assert "确认名称中的问号无误" in job.errors[0][2]
    assert not Unit.objects.filter(code__in=["440103099", "440103098"]).exists()

    job = run(world.alice, content, accept=True)
    assert job.status == ImportStatus.DONE, job.errors
    assert Unit.objects.get(code="440103099").name == "??测试镇党委"


def test_people_with_question_marks_need_confirmation(world):
    header = "unit_code,person_name,staff_number,role,start_date,end_date"
    data = f"{header}\n440103,王?,,委员,2021-01-01,\n".encode()
    result = posts_import.import_posts(read_csv(data), world.alice)
    assert not result.written
    assert [(e.row, e.column) for e in result.errors] == [(2, "person_name")]
    assert "丢失了生僻字" in result.errors[0].message
    confirmed = posts_import.import_posts(read_csv(data), world.alice, accept_question_marks=True)
    assert confirmed.written


def test_people_file_as_unicode_text(world):
    header = "unit_code\tperson_name\tstaff_number\trole\tstart_date\tend_date"
    data = f"{header}\r\n440103\t𬌗小明\t\t委员\t2021-01-01\t\r\n".encode("utf-16")
    table = read_table("people.txt", io.BytesIO(data))
    assert table.encoding == "utf-16"
    result = posts_import.import_posts(table, world.alice)
    assert result.written, result.errors


def test_an_xls_is_told_to_save_as_xlsx(world):
    with pytest.raises(ValidationError) as refused:
        run(world.alice, b"\xd0\xcf\x11\xe0", name="units.xls")
    assert "另存为" in str(refused.value)
