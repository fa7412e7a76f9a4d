"""Paper ballots: forms, double entry by two different clerks, reconciliation, counting, void."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from shuzhi.accounts.models import Role
from shuzhi.ballots import paper, tally
from shuzhi.ballots.models import BallotEntry, BallotRoundStatus, PaperEntry
from shuzhi.ballots.tests.tally_setup import issue_codes, make_setup
from shuzhi.core.models import AuditEntry
from shuzhi.core.testing import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerks(world):
    return (
        make_user("clerk1", (Role.ORGANISER, world.province)),
        make_user("clerk2", (Role.ORGANISER, world.province)),
    )


def ratings(s, *grades):
    return {str(r.pk): {"overall": g} for r, g in zip(s.reporters, grades, strict=True)}


def enter(s, user, sheet, clerk, *grades, category="public"):
    return paper.enter_sheet(
        actor=user,
        ballot_round=s.ballot_round,
        sheet=sheet,
        clerk=clerk,
        category=category,
        ratings=ratings(s, *grades),
    )


@pytest.mark.smoke
def test_agreeing_sheets_are_counted_once(world, clerks):
    s = make_setup(world)
    one, two = clerks
    paper.set_paper_issued(actor=world.alice, ballot_round=s.ballot_round, count=3)
    enter(s, one, 1, 1, "good", "average", "")
    enter(s, two, 1, 2, "good", "average", "")
    enter(s, one, 2, 1, "good", "good", "poor")
    enter(s, two, 2, 2, "good", "fair_good", "poor")  # differs on reporter 2
    enter(s, one, 3, 1, "poor", "poor", "poor")  # only one entry
    states = {st.sheet: st for st in paper.sheets(s.ballot_round)}
    assert states[1].agrees and not states[2].agrees and states[3].second is None
    assert states[2].status == "两次录入不一致" and states[3].status == "只有一份录入"
    result = paper.count_agreed(actor=world.alice, ballot_round=s.ballot_round)
    assert (result.counted, result.pending, result.void) == (1, 2, False)
    rows = BallotEntry.objects.filter(round=s.ballot_round)
    assert rows.count() == 3 and len({r.ballot for r in rows}) == 1
    assert sorted(rows.values_list("grade", flat=True)) == ["", "average", "good"]
    assert set(rows.values_list("category", flat=True)) == {"public"}
    # Idempotent: counting again adds nothing.
    again = paper.count_agreed(actor=world.alice, ballot_round=s.ballot_round)
    assert again.counted == 0 and BallotEntry.objects.filter(round=s.ballot_round).count() == 3
    assert PaperEntry.objects.filter(round=s.ballot_round, counted=True).count() == 2
    # Correct clerk 2's typing of sheet 2 after looking at the paper; now it counts.
    enter(s, world.alice, 2, 2, "good", "good", "poor")
    assert paper.count_agreed(actor=world.alice, ballot_round=s.ballot_round).counted == 1
    t = tally.compute(s.ballot_round)
    assert t.ballots == 2


def test_audit_records_the_act_never_the_ratings(world, clerks):
    s = make_setup(world)
    one, _ = clerks
    enter(s, one, 7, 1, "fair_good", "poor", "average")
    entry = AuditEntry.objects.get(action="ballot.paper_entered")
    assert entry.actor == one
    assert entry.changes == {"sheet": 7, "clerk": 1}
    text = f"{entry.changes} {entry.note} {entry.object_label}"
    for secret in ("fair_good", "poor", "average", "较好", "差", "一般", "public", "党员群众代表"):
        assert secret not in text


def test_two_entries_of_a_sheet_need_two_people(world, clerks):
    s = make_setup(world)
    one, two = clerks
    enter(s, one, 1, 1, "good", "good", "good")
    with pytest.raises(ValidationError) as exc:
        enter(s, one, 1, 2, "good", "good", "good")
    assert "不同的人" in str(exc.value.message_dict["clerk"])
    assert not PaperEntry.objects.filter(sheet=1, clerk=2).exists()
    enter(s, two, 1, 2, "good", "good", "good")


def test_entry_validation(world, clerks):
    s = make_setup(world)
    one, _ = clerks
    with pytest.raises(ValidationError) as exc:
        paper.enter_sheet(
            actor=one, ballot_round=s.ballot_round, sheet=0, clerk=3, category="x", ratings={}
        )
    assert set(exc.value.message_dict) == {"sheet", "clerk", "category"}
    with pytest.raises(ValidationError) as exc:
        enter(s, one, 1, 1, "excellent", "good", "good")
    assert "请选择本轮评价等次" in str(exc.value)
    assert "excellent" not in str(exc.value)  # the grade typed is never echoed
    with pytest.raises(PermissionDenied):
        enter(s, world.bob, 1, 1, "good", "good", "good")
    assert not PaperEntry.objects.exists()


def test_more_ballots_than_issued_voids_the_round(world, clerks):
    s = make_setup(world)
    one, two = clerks
    issue_codes(s.ballot_round, "leaders", 1, used=1)
    paper.set_paper_issued(actor=world.alice, ballot_round=s.ballot_round, count=1)
    for sheet in (1, 2, 3):
        enter(s, one, sheet, 1, "good", "good", "good")
        enter(s, two, sheet, 2, "good", "good", "good")
    result = paper.count_agreed(actor=world.alice, ballot_round=s.ballot_round)
    assert result.void
    s.ballot_round.refresh_from_db()
    assert s.ballot_round.status == BallotRoundStatus.VOID
    assert s.ballot_round.void_reason == "收回票数多于发出票数，本轮无效"
    assert AuditEntry.objects.filter(action="ballot.round_voided").exists()
    with pytest.raises(ValidationError):
        enter(s, one, 4, 1, "good", "good", "good")


def test_closed_round_refuses_paper(world, clerks):
    s = make_setup(world)
    s.ballot_round.status = BallotRoundStatus.CLOSED
    s.ballot_round.save()
    with pytest.raises(ValidationError):
        enter(s, clerks[0], 1, 1, "good", "good", "good")
    with pytest.raises(ValidationError):
        paper.count_agreed(actor=world.alice, ballot_round=s.ballot_round)


def test_forms_pdf_numbers_each_sheet(world, client, tmp_path):
    import shutil
    import subprocess

    s = make_setup(world, sub_items=[{"code": "duty", "label": "履行责任"}])
    paper.set_paper_issued(actor=world.alice, ballot_round=s.ballot_round, count=3)
    client.force_login(world.alice)
    response = client.get(f"/ballots/round/{s.ballot_round.pk}/paper/forms.pdf")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page(?!s)", response.content)) == 3
    if shutil.which("pdftotext"):
        path = tmp_path / "f.pdf"
        path.write_bytes(response.content)
        text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout
        for n in ("0001", "0002", "0003"):
            assert f"No. {n}" in text
        assert "广州市委" in text and "履行责任" in text and "党员群众代表" in text


def test_entry_and_reconciliation_pages(world, client, clerks):
    s = make_setup(world)
    one, two = clerks
    page = f"/ballots/round/{s.ballot_round.pk}/paper/"
    client.force_login(world.alice)
    assert client.post(page, {"paper_issued": "5"}).status_code == 302
    s.ballot_round.refresh_from_db()
    assert s.ballot_round.paper_issued == 5
    client.force_login(one)
    enter_url = page + "enter/"
    form = client.get(enter_url + "?clerk=1")
    assert form.status_code == 200 and 'type="radio"' in form.content.decode()
    data = {"sheet": "1", "clerk": "1", "category": "leaders"}
    data |= {f"r{r.pk}_overall": "good" for r in s.reporters}
    assert client.post(enter_url, data).status_code == 302
    bad = client.post(enter_url, data | {"clerk": "2"})
    assert bad.status_code == 400 and "不同的人" in bad.content.decode()
    client.force_login(two)
    assert (
        client.post(
            enter_url, data | {"clerk": "2", f"r{s.reporters[0].pk}_overall": ""}
        ).status_code
        == 302
    )
    client.force_login(world.alice)
    body = client.get(page).content.decode()
    assert 'data-sheet="1"' in body and "两次录入不一致" in body and "好 / 弃权" in body
    correction = client.get(enter_url + "?clerk=2&sheet=1").content.decode()
    assert 'value="1"' in correction
    data2 = data | {"clerk": "2"}
    assert client.post(enter_url, data2).status_code == 302
    assert client.post(page + "count/").status_code == 302
    assert BallotEntry.objects.filter(round=s.ballot_round).count() == 3
    assert "没有需要核对的纸质票" in client.get(page).content.decode()


def test_paper_pages_need_ballot_manage(world, client):
    s = make_setup(world)
    sec = make_user("prov-sec", (Role.SECRETARY, world.province))
    client.force_login(sec)
    page = f"/ballots/round/{s.ballot_round.pk}/paper/"
    assert client.get(page).status_code == 403
    assert client.post(page + "count/").status_code == 403
    client.force_login(world.carol)
    assert client.get(page + "enter/").status_code == 404


def test_a_long_matrix_continues_overleaf(world, client):
    from shuzhi.core.testing import make_unit
    from shuzhi.cycles.models import RoundReporter
    from shuzhi.meetings.models import SessionReporter

    s = make_setup(world)
    for i in range(90):
        unit = make_unit(f"4403{i:04d}", f"测试单位{i}", "county", world.city_b)
        rr = RoundReporter.objects.create(round=s.annual, unit=unit, sort_order=10 + i)
        sr = SessionReporter.objects.create(session=s.session, reporter=rr, position=10 + i)
        s.ballot_round.reporters.append({"id": sr.pk, "unit": unit.name, "name": ""})
    s.ballot_round.save()
    pdf = paper.render_forms(s.ballot_round, first=1, last=2)
    assert len(re.findall(rb"/Type\s*/Page(?!s)", pdf)) == 4  # 93 rows: two pages a sheet
