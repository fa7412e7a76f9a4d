"""An organiser keeps a refused indicator by writing why (a false positive never blocks work);
the reason is audited and printed on the governance report. And ``check_indicators`` reads a
real indicator list (.csv, .xlsx) and prints one JSON line per item."""

from __future__ import annotations

import io
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import Workbook

from shuzhi.assessment.indicators import services as svc
from shuzhi.assessment.indicators.models import IndicatorItem
from shuzhi.core.models import AuditEntry

pytestmark = pytest.mark.django_db

NAME = "党建工作信息报送质量"
GUIDE = "全年报送信息不少于12篇，每少1篇扣0.5分"
REASON = "本项实际考核信息反映的问题被采纳并推动解决的比例，评分标准将随之修订。"


def _set(world, county_type):
    return svc.create_set(
        actor=world.alice, host=world.province, year=2026, assessed_type=county_type
    )


def test_a_refused_item_is_kept_with_a_written_reason(client, world, county_type):
    s = _set(world, county_type)
    with pytest.raises(ValidationError) as exc:
        svc.add_item(
            actor=world.alice,
            indicator_set=s,
            code="B1",
            name=NAME,
            max_points=5,
            scoring_guide=GUIDE,
        )
    message = exc.value.message_dict["name"][0]
    assert "不予采用" in message and "例如" in message and "“报送”" in message
    with pytest.raises(ValidationError) as exc:
        svc.add_item(
            actor=world.alice,
            indicator_set=s,
            code="B1",
            name=NAME,
            max_points=5,
            scoring_guide=GUIDE,
            override_reason="就是要考",
        )
    assert "至少写 10 个字" in exc.value.message_dict["override_reason"][0]
    assert not IndicatorItem.objects.filter(set=s).exists()
    with pytest.raises(PermissionDenied):  # the reader of the set may not keep it
        svc.add_item(
            actor=world.bob,
            indicator_set=s,
            code="B1",
            name=NAME,
            max_points=5,
            scoring_guide=GUIDE,
            override_reason=REASON,
        )
    item = svc.add_item(
        actor=world.alice,
        indicator_set=s,
        code="B1",
        name=NAME,
        max_points=5,
        scoring_guide=GUIDE,
        override_reason=REASON,
    )
    entry = AuditEntry.objects.get(action="assessment.item.create", object_id=str(item.pk))
    assert entry.changes["override_reason"] == [None, REASON]
    finding = s.findings.get(code="trace")
    assert finding.severity == "warning" and REASON.rstrip("。") in finding.message
    client.force_login(world.alice)
    response = client.get(reverse("assessment_governance", args=[s.pk]))
    assert response.status_code == 200
    report = response.content.decode()
    assert "组织者说明理由后采用" in report and REASON.rstrip("。") in report
    # Taking the reason away refuses the item again, and nothing changes.
    with pytest.raises(ValidationError):
        svc.update_item(actor=world.alice, item=item, override_reason="")
    item.refresh_from_db()
    assert item.override_reason == REASON


def _csv(tmp_path, text: str, encoding: str = "utf-8-sig"):
    path = tmp_path / "指标.csv"
    path.write_bytes(text.encode(encoding))
    return path


def _lines(path) -> list[dict]:
    out = io.StringIO()
    call_command("check_indicators", str(path), stdout=out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_check_indicators_prints_one_verdict_per_item(tmp_path):
    path = _csv(
        tmp_path,
        "指标名称,评分标准\n"
        "领导批示交办的群众诉求办结率,按期办结率达到95%得满分\n"
        "党员干部学习强国积分,人均积分达到8000分\n"
        "党建专题会议召开情况,每季度召开不少于1次\n",
        "gb18030",
    )
    lines = _lines(path)
    assert [(r["row"], r["verdict"], r["measures"]) for r in lines] == [
        (2, "ok", "outcome"),
        (3, "refuse", "app"),
        (4, "refuse", "trace"),
    ]
    for row in lines:
        assert row["message"].endswith("。") and row["message"].count("。") == 1
    assert "办结率" in lines[0]["words"] and lines[2]["rewording"]


def test_check_indicators_reads_xlsx_with_a_title_row_and_no_standard(tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["2027年度考核指标"])
    sheet.append(["序号", "指标名称"])
    sheet.append([1, "上级领导视察调研次数"])
    sheet.append([2, "群众满意度"])
    path = tmp_path / "指标.xlsx"
    book.save(path)
    assert [r["verdict"] for r in _lines(path)] == ["refuse", "ok"]
    with pytest.raises(CommandError, match="指标名称"):
        _lines(_csv(tmp_path, "名字\n群众满意度\n".replace("名字", "内容")))


def test_classify_api_is_for_signed_in_users(client, world):
    payload = {"items": [{"name": "信息报送篇数", "scoring_guide": "不少于12篇"}]}
    url = "/api/assessment/classify"
    assert client.post(url, payload, content_type="application/json").status_code == 401
    client.force_login(world.carol)
    response = client.post(url, payload, content_type="application/json")
    assert response.status_code == 200
    assert response.json()[0]["verdict"] == "refuse"
