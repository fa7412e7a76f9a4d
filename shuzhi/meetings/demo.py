"""Demo data for the round and the review meeting: the demo province hears its cities.

``seed_round_demo`` creates, for 江岭省 (code 470000), the 2026 round hearing every city directly
below it (reporters resolved from posts), one planned session on 2026-12-20 with five live
reporters drawn with a fixed seed and the rest written, roster categories with expected counts,
and the 2025 round with a closed session so the rotation rule has a year of history (its ballots
cast, when the caller brings them, while the session is held). It goes
through the services (acting as the demo organiser) so every write is audited, and it does
nothing when the 2026 round already exists.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.db import transaction

from shuzhi.cycles import services as round_services
from shuzhi.cycles.models import Round, RoundStatus
from shuzhi.orgs.demo import PROVINCE_CODE
from shuzhi.orgs.tree.models import Unit, UnitType

from . import services
from .models import ReportMode, Session, SessionStatus

YEAR = 2026
TITLE = "江岭省2026年度市委书记抓基层党建工作述职评议考核"
SESSION_TITLE = "2026年度述职评议会"
SESSION_DATE = datetime.date(2026, 12, 20)
PLACE = "省委大礼堂"
LIVE_COUNT = 5
# Fixed seeds keep the demo the same on every machine; real draws use a secrets seed.
DRAW_SEED = "江岭省2026年度述职评议会"
EXPECTED = {
    "leaders": 15,
    "members": 40,
    "deputies": 30,
    "secretaries": 60,
    "public": 55,
}


def _actor():
    """The demo organiser of the province, or a superuser when the demo accounts are absent."""
    User = get_user_model()
    return (
        User.objects.filter(username="organiser").first()
        or User.objects.filter(is_superuser=True, is_active=True).first()
    )


def _round(actor, province: Unit, year: int, title: str) -> Round:
    round = round_services.create_round(actor=actor, host=province, year=year, title=title)
    round_services.add_reporters_by_type(
        actor=actor, round=round, type=UnitType.objects.get(code="city"), direct_only=True
    )
    return round


def _session(actor, round: Round, *, title: str, date: datetime.date, place: str, seed: str):
    session = services.create_session(actor=actor, round=round, title=title, date=date, place=place)
    round_services.refresh_reporter_people(actor=actor, round=round)
    services.add_session_reporters(actor=actor, session=session)
    count = min(LIVE_COUNT, session.reporters.count())
    services.draw_live(actor=actor, session=session, method="random", live_count=count, seed=seed)
    for category in services.init_roster(actor=actor, session=session):
        services.set_category_counts(
            actor=actor, category=category, expected=EXPECTED.get(category.code, 20)
        )
    return session


@transaction.atomic
def seed_round_demo(
    stdout=None, during_2025_meeting: Callable[[Session], object] | None = None
) -> Round | None:
    """Create the demo rounds and sessions (idempotent: skipped if the 2026 round exists).

    ``during_2025_meeting`` is called with the 2025 session once its attendance is known and
    before it closes — the demo's ballots are cast then, as in a hall (``shuzhi.demo.voting``
    opens the round, which starts the meeting)."""
    province = Unit.objects.filter(code=PROVINCE_CODE).first()
    if province is None or Round.objects.filter(host=province, year=YEAR).exists():
        if stdout is not None:
            stdout.write("演示述职评议已存在或没有演示省份，跳过。")
        return None
    actor = _actor()
    if actor is None:
        return None
    if not Round.objects.filter(host=province, year=YEAR - 1).exists():
        previous = _round(
            actor, province, YEAR - 1, f"江岭省{YEAR - 1}年度市委书记抓基层党建工作述职评议考核"
        )
        last = _session(
            actor,
            previous,
            title=f"{YEAR - 1}年度述职评议会",
            date=datetime.date(YEAR - 1, 12, 22),
            place=PLACE,
            seed="江岭省2025年度述职评议会",
        )
        for category in last.categories.all():
            services.set_category_counts(
                actor=actor, category=category, present=category.expected * 9 // 10
            )
        if during_2025_meeting is not None:
            during_2025_meeting(last)
            last.refresh_from_db()
        if last.status == SessionStatus.PLANNED:
            services.transition_session(actor=actor, session=last, status=SessionStatus.IN_PROGRESS)
        services.transition_session(actor=actor, session=last, status=SessionStatus.CLOSED)
        # Starting its session made the round 进行中.
        previous.refresh_from_db(fields=["status"])
        round_services.transition_round(actor=actor, round=previous, status=RoundStatus.CLOSED)
    round = _round(actor, province, YEAR, TITLE)
    session = _session(
        actor, round, title=SESSION_TITLE, date=SESSION_DATE, place=PLACE, seed=DRAW_SEED
    )
    if stdout is not None:
        live = session.reporters.filter(mode=ReportMode.LIVE).count()
        stdout.write(
            f"已载入演示述职评议：{round.title}，述职单位 {round.reporters.count()} 个，"
            f"会议“{session.title}”现场述职 {live} 人。"
        )
    return round
