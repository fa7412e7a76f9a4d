"""The phone's ballot page rendered once per round: invalidation, compression, caching headers,
errors that keep the voter's choices, and the statements each request costs."""

from __future__ import annotations

import gzip
from urllib.parse import urlencode

import pytest
from django.db import connection

from shuzhi.ballots import services, vote_pages
from shuzhi.ballots.models import BallotRound, SealedBallot, VoteCode
from shuzhi.ballots.tests.meeting_setup import make_meeting, shares_of

pytestmark = pytest.mark.django_db

FORM = "application/x-www-form-urlencoded"


@pytest.fixture(autouse=True)
def _fresh_pages():
    vote_pages.clear()
    yield
    vote_pages.clear()


def open_hall(world, *, reporters: int = 3, **round_fields):
    meeting = make_meeting(world, reporters=reporters, **round_fields)
    rnd = services.open_round(actor=world.alice, session=meeting.session)
    codes = [c.code for c in services.issue_codes(actor=world.alice, ballot_round=rnd)]
    return meeting, rnd, codes


def form(rnd, nonce: str = "n1", **extra: str) -> str:
    fields = {f"o_{r['id']}": "fair_good" for r in rnd.reporters}
    return urlencode({**fields, "nonce": nonce, **extra})


def nonce_of(html: str) -> str:
    return html.split('name="nonce" value="', 1)[1].split('"', 1)[0]


@pytest.mark.smoke
def test_the_page_is_the_same_for_every_voter_but_the_nonce(client, world):
    _meeting, _rnd, codes = open_hall(world)
    first = client.get(f"/v/{codes[0]}/").content.decode()
    second = client.get(f"/v/{codes[1]}/").content.decode()
    assert nonce_of(first) != nonce_of(second)
    assert first.replace(nonce_of(first), "N") == second.replace(nonce_of(second), "N")
    assert codes[0] not in first  # the form posts to the page's own address


def test_changing_the_rounds_reporters_after_caching_shows_the_new_form(client, world):
    _meeting, rnd, codes = open_hall(world)
    assert "第1党委" in client.get(f"/v/{codes[0]}/").content.decode()
    reporters = [dict(r) for r in rnd.reporters]
    reporters[0]["unit"] = "改名后的党委"
    BallotRound.objects.filter(pk=rnd.pk).update(reporters=reporters[:2])
    html = client.get(f"/v/{codes[1]}/").content.decode()
    assert "改名后的党委" in html and "第1党委" not in html
    assert f'name="o_{reporters[2]["id"]}"' not in html


def test_changing_the_rounds_form_after_caching_shows_the_new_form(client, world):
    _meeting, rnd, codes = open_hall(world)
    html = client.get(f"/v/{codes[0]}/").content.decode()
    assert "最多可选" not in html and "分项评价" not in html
    policy = dict(rnd.policy, quotas={"good": 1}, sub_items=[{"code": "duty", "label": "履职"}])
    BallotRound.objects.filter(pk=rnd.pk).update(policy=policy)
    html = client.get(f"/v/{codes[1]}/").content.decode()
    assert "“好”最多可选 1 个" in html
    assert f'name="i_{rnd.reporters[0]["id"]}_duty"' in html


def test_a_test_round_and_the_formal_round_each_get_their_own_page(client, world):
    meeting = make_meeting(world)
    test_round = services.open_round(actor=world.alice, session=meeting.session, is_test=True)
    test_code = services.issue_codes(actor=world.alice, ballot_round=test_round)[0].code
    assert "测试投票" in client.get(f"/v/{test_code}/").content.decode()
    services.close_round(actor=world.alice, ballot_round=test_round, shares=shares_of(test_round))
    formal = services.open_round(actor=world.alice, session=meeting.session)
    code = services.issue_codes(actor=world.alice, ballot_round=formal)[0].code
    html = client.get(f"/v/{code}/").content.decode()
    assert "测试投票" not in html and "第2轮" in html


@pytest.mark.smoke
def test_forty_reporters_fit_in_twelve_kilobytes_gzipped(client, world):
    _meeting, _rnd, codes = open_hall(world, reporters=40)
    zipped = client.get(f"/v/{codes[0]}/", HTTP_ACCEPT_ENCODING="gzip, deflate")
    assert zipped["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped["Vary"]
    assert len(zipped.content) <= 12 * 1024
    html = gzip.decompress(zipped.content).decode()
    assert html.count('name="o_') == 40 * 4 and html.rstrip().endswith("</html>")
    plain = client.get(f"/v/{codes[1]}/")
    assert not plain.has_header("Content-Encoding")
    assert plain.content.decode().replace(nonce_of(plain.content.decode()), "N") == html.replace(
        nonce_of(html), "N"
    )


def test_forty_reporters_with_three_sub_items_fit_in_twelve_kilobytes_gzipped(client, world):
    items = [{"code": f"item{i}", "label": f"分项{i}"} for i in range(3)]
    _meeting, _rnd, codes = open_hall(world, reporters=40, sub_items=items)
    zipped = client.get(f"/v/{codes[0]}/", HTTP_ACCEPT_ENCODING="gzip")
    assert len(zipped.content) <= 12 * 1024
    assert gzip.decompress(zipped.content).decode().count('name="i_') == 40 * 3 * 4


def test_a_phone_that_refuses_gzip_gets_plain_html(client, world):
    _meeting, _rnd, codes = open_hall(world)
    response = client.get(f"/v/{codes[0]}/", HTTP_ACCEPT_ENCODING="gzip;q=0, identity")
    assert not response.has_header("Content-Encoding")
    assert response.content.startswith(b"<!doctype html>")


def test_spliced_gzip_is_valid_for_long_values_and_pages():
    html = "<p>" + "述职评议" * 20_000 + "MARK" + "尾" * 30_000 + "</p>"
    page = vote_pages.SplicedPage.split(html, "MARK")
    value = "x" * 70_000  # more than one stored block
    assert gzip.decompress(page.gzipped(value)).decode() == html.replace("MARK", value)
    assert page.plain("v") == html.replace("MARK", "v").encode()
    with pytest.raises(ValueError):
        vote_pages.SplicedPage.split("no marker", "MARK")


def test_the_page_may_be_kept_by_the_phone_only_and_answers_are_not_kept(client, world):
    _meeting, rnd, codes = open_hall(world)
    page = client.get(f"/v/{codes[0]}/")
    assert "private" in page["Cache-Control"] and "max-age=300" in page["Cache-Control"]
    done = client.post(f"/v/{codes[0]}/", form(rnd), content_type=FORM)
    assert done.status_code == 200 and "no-store" in done["Cache-Control"]
    used = client.get(f"/v/{codes[0]}/")
    assert "该投票码已使用" in used.content.decode() and "no-store" in used["Cache-Control"]


def test_the_receipt_page_is_gzipped_and_holds_the_receipt(client, world):
    _meeting, rnd, codes = open_hall(world)
    response = client.post(
        f"/v/{codes[0]}/", form(rnd), content_type=FORM, HTTP_ACCEPT_ENCODING="gzip"
    )
    assert response["Content-Encoding"] == "gzip"
    receipt = VoteCode.objects.get(code=codes[0]).receipt
    assert f'id="receipt">{receipt}<' in gzip.decompress(response.content).decode()


@pytest.mark.smoke
def test_errors_keep_every_choice_and_are_never_compressed(client, world):
    items = [{"code": "duty", "label": "履行责任"}]
    _meeting, rnd, codes = open_hall(world, sub_items=items, quotas={"good": 1})
    first, second, _third = (str(r["id"]) for r in rnd.reporters)
    data = urlencode(
        {
            "nonce": "keep-me",
            f"o_{first}": "good",
            f"o_{second}": "good",  # over the quota of one 好
            f"i_{first}_duty": "poor",
            f"c_{second}": "多下基层 & 调研",
            # the third reporter has no overall grade
        }
    )
    response = client.post(f"/v/{codes[0]}/", data, content_type=FORM, HTTP_ACCEPT_ENCODING="gzip")
    assert response.status_code == 422
    assert not response.has_header("Content-Encoding")  # it reflects what the voter typed
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    assert f'name="o_{first}" value="good" checked' in html
    assert f'name="o_{second}" value="good" checked' in html
    assert f'name="i_{first}_duty" value="poor" checked' in html
    assert "多下基层 &amp; 调研" in html
    assert "“好”最多只能选 1 个，您选了 2 个。" in html and "请选择总体评价。" in html
    assert nonce_of(html) == "keep-me"  # a resubmission is the same ballot's retry
    assert not SealedBallot.objects.exists() and not VoteCode.objects.get(code=codes[0]).used


def test_a_sub_item_or_reporter_not_on_the_ballot_is_refused(client, world):
    _meeting, rnd, codes = open_hall(world)
    extra = {f"i_{rnd.reporters[0]['id']}_nosuch": "good"}
    response = client.post(f"/v/{codes[0]}/", form(rnd, **extra), content_type=FORM)
    assert response.status_code == 422 and "分项评价中有未设置的项目" in response.content.decode()
    response = client.post(f"/v/{codes[0]}/", form(rnd, o_999999="good"), content_type=FORM)
    assert response.status_code == 422 and "不在本轮名单上" in response.content.decode()
    assert not SealedBallot.objects.exists()


def test_a_multipart_form_is_read_too(client, world):
    _meeting, rnd, codes = open_hall(world)
    fields = {f"o_{r['id']}": "fair_good" for r in rnd.reporters}
    assert client.post(f"/v/{codes[0]}/", {**fields, "nonce": "m"}).status_code == 200
    assert VoteCode.objects.get(code=codes[0]).used


def test_the_closed_and_unknown_messages_on_post(client, world):
    _meeting, rnd, codes = open_hall(world)
    assert client.post("/v/ZZZZZZZZ/", form(rnd), content_type=FORM).status_code == 404
    services.close_round(actor=world.alice, ballot_round=rnd, shares=shares_of(rnd))
    response = client.post(f"/v/{codes[0]}/", form(rnd), content_type=FORM)
    assert "本轮投票已结束" in response.content.decode()


# --- statements per request ----------------------------------------------------------------


def test_get_is_one_query_once_the_page_is_rendered(
    client, world, django_assert_num_queries, django_assert_max_num_queries
):
    _meeting, _rnd, codes = open_hall(world)
    client.get("/v/ZZZZZZZZ/")  # PostgreSQL: prepares the statement on this connection
    with django_assert_num_queries(2):  # the code's state, then the round to render
        client.get(f"/v/{codes[0]}/")
    with django_assert_num_queries(1):
        assert client.get(f"/v/{codes[1]}/").status_code == 200
    # An unknown code also counts against the address in the shared throttle cache (the
    # database): a few statements, on the refused branch only (shuzhi/ballots/guessing.py).
    with django_assert_max_num_queries(8):
        assert client.get("/v/ZZZZZZZZ/").status_code == 404


@pytest.fixture
def statements():
    """Every statement sent on the DB-API connection — also those beneath Django's wrapper,
    as the ballot's own are (PostgreSQL)."""
    if connection.vendor != "postgresql":
        pytest.skip("counts statements on psycopg's cursors")
    connection.ensure_connection()
    raw = connection.connection
    base = raw.cursor_factory
    sent: list[str] = []

    class Counting(base):  # type: ignore[misc, valid-type]
        def execute(self, query, params=None, **kwargs):
            sent.append(str(query))
            return super().execute(query, params, **kwargs)

    raw.cursor_factory = Counting
    yield sent
    raw.cursor_factory = base


def test_a_ballot_post_is_one_statement(client, world, statements):
    _meeting, rnd, codes = open_hall(world)
    assert client.post(f"/v/{codes[0]}/", form(rnd), content_type=FORM).status_code == 200
    client.post(f"/v/{codes[1]}/", form(rnd), content_type=FORM)  # prepares on this connection
    statements.clear()
    assert client.post(f"/v/{codes[2]}/", form(rnd), content_type=FORM).status_code == 200
    assert len(statements) == 1 and statements[0].startswith("EXECUTE")
    statements.clear()
    assert client.get(f"/v/{codes[3]}/").status_code == 200
    client.get(f"/v/{codes[4]}/")
    statements.clear()
    assert client.get(f"/v/{codes[5]}/").status_code == 200
    assert len(statements) == 1


def test_a_signed_in_organiser_on_the_ballot_page_gets_the_phone_cache_rules(client, world):
    """The voters' pages keep their own cache rules even for a signed-in browser."""
    _meeting, _rnd, codes = open_hall(world)
    client.force_login(world.alice)
    page = client.get(f"/v/{codes[0]}/")
    assert "max-age=300" in page["Cache-Control"] and "no-store" not in page["Cache-Control"]
