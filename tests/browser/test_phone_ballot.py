"""A voter on a phone with a per-voter quota: the counter warns before submitting, the server
refuses an over-quota ballot in Chinese and stores nothing, and the corrected ballot counts."""

from __future__ import annotations

import datetime
import re

import pytest
from playwright.sync_api import expect

from shuzhi.ballots import services as ballots
from shuzhi.ballots.models import BallotEntry, SealedBallot, VoteCode
from shuzhi.cycles import services as rounds
from shuzhi.meetings import services as meetings

pytestmark = pytest.mark.django_db(transaction=True)


def open_round_with_quota(
    world, quotas: dict[str, int], shares: list[str] | None = None
) -> list[str]:
    """The province hears its two cities; one category of voters; the round open, codes out.
    The supervisor's share goes into ``shares`` when given."""
    alice = world.alice
    annual = rounds.create_round(actor=alice, host=world.province, year=2026)
    rounds.update_round(actor=alice, round=annual, quotas=quotas, min_ballots=2)
    rounds.add_reporters_by_codes(
        actor=alice, round=annual, codes=f"{world.city_a.code} {world.city_b.code}"
    )
    session = meetings.create_session(
        actor=alice, round=annual, title="述职评议会", date=datetime.date(2026, 3, 20)
    )
    meetings.add_session_reporters(actor=alice, session=session)
    leaders = meetings.init_roster(actor=alice, session=session)[0]
    meetings.set_category_counts(actor=alice, category=leaders, expected=2, present=2)
    ballot_round = ballots.open_round(actor=alice, session=session)
    if shares is not None:
        shares.extend(s.share for s in ballot_round.shares)  # type: ignore[attr-defined]
    return [c.code for c in ballots.issue_codes(actor=alice, ballot_round=ballot_round)]


def _row(phone, unit: str):
    return phone.locator("fieldset").filter(has=phone.locator("legend", has_text=unit))


@pytest.mark.smoke
def test_quota_counter_warns_and_server_refuses_over_quota(phone, world):
    shares: list[str] = []
    code = open_round_with_quota(world, {"good": 1}, shares)[0]
    phone.goto(f"{phone.base_url}/v/{code}/")
    quota = phone.locator(".quota[data-grade=good]")
    expect(quota).to_contain_text("“好”最多可选 1 个")
    # The script shows the counter as soon as the page loads.
    expect(quota.locator(".counter")).to_be_visible()
    expect(quota.locator(".counter b")).to_have_text("0")

    _row(phone, "广州市委").get_by_role("radio", name="好", exact=True).check()
    expect(quota.locator(".counter b")).to_have_text("1")
    expect(quota).not_to_have_class(re.compile(r"\berror\b"))
    _row(phone, "深圳市委").get_by_role("radio", name="好", exact=True).check()
    expect(quota).to_contain_text("已选好 2 个")
    expect(quota).to_have_class(re.compile(r"\berror\b"))

    phone.get_by_role("button", name="提交选票").click()
    expect(phone.get_by_text("“好”最多只能选 1 个，您选了 2 个。")).to_be_visible()
    assert not VoteCode.objects.get(code=code).used
    assert not BallotEntry.objects.exists()
    # The refused ballot comes back as chosen, and the counter still warns.
    quota = phone.locator(".quota[data-grade=good]")
    expect(quota).to_have_class(re.compile(r"\berror\b"))
    expect(_row(phone, "深圳市委").get_by_role("radio", name="好", exact=True)).to_be_checked()

    _row(phone, "深圳市委").get_by_role("radio", name="较好", exact=True).check()
    expect(quota.locator(".counter b")).to_have_text("1")
    expect(quota).not_to_have_class(re.compile(r"\berror\b"))
    phone.get_by_role("button", name="提交选票").click()
    expect(phone.get_by_role("heading", name="投票成功")).to_be_visible()
    receipt = phone.locator("#receipt").inner_text().strip()
    assert VoteCode.objects.get(code=code).receipt == receipt
    # Sealed until the supervisor counts it: nothing readable while the round is open.
    assert SealedBallot.objects.count() == 1 and not BallotEntry.objects.exists()
    ballot_round = VoteCode.objects.get(code=code).round
    ballots.close_round(actor=world.alice, ballot_round=ballot_round, shares=shares)
    assert sorted(BallotEntry.objects.filter(item="overall").values_list("grade", flat=True)) == [
        "fair_good",
        "good",
    ]


def test_unknown_code_typed_on_the_entry_page(phone, world):
    open_round_with_quota(world, {})
    phone.goto(f"{phone.base_url}/v/")
    phone.get_by_label("投票码").fill("zzzz9999")
    phone.get_by_role("button", name="进入投票").click()
    expect(phone.get_by_role("heading", name="投票码无效")).to_be_visible()
    expect(phone.get_by_text("没有找到这个投票码")).to_be_visible()
