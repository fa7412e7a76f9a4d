"""The demo round: the province hears its cities, five live by a fixed-seed draw that
replays, roster counts set, a closed 2025 session as rotation history; idempotent."""

import pytest

from shuzhi.core.testing import ensure_default_unit_types
from shuzhi.cycles.models import Round, RoundStatus
from shuzhi.meetings import selectors
from shuzhi.meetings.demo import seed_round_demo
from shuzhi.meetings.models import ReportMode, Session, SessionStatus
from shuzhi.orgs import demo

pytestmark = pytest.mark.django_db


def test_seed_round_demo(world):
    ensure_default_unit_types()
    demo.seed(scale=0.2)
    round = seed_round_demo()
    assert round is not None
    assert round.title == "江岭省2026年度市委书记抓基层党建工作述职评议考核"
    cities = round.reporters.count()
    assert cities == 3
    assert not round.reporters.filter(person__isnull=True).exists()
    session = Session.objects.get(round=round)
    assert (session.title, session.place, session.status) == (
        "2026年度述职评议会",
        "省委大礼堂",
        SessionStatus.PLANNED,
    )
    assert session.reporters.filter(mode=ReportMode.LIVE).count() == min(5, cities)
    assert selectors.replay_draw(session).matches
    assert {c.code: c.expected for c in session.categories.all()}["leaders"] == 15
    assert selectors.quorum_status(session).expected == 200
    previous = Session.objects.get(round__year=2025)
    assert previous.status == SessionStatus.CLOSED
    assert previous.round.status == RoundStatus.CLOSED
    assert seed_round_demo() is None
    assert Round.objects.filter(host=round.host).count() == 2
