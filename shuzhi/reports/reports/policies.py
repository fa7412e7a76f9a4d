"""Who may write, review and see 述职报告 — the one permission authority for reports.

- may this user write the report of this reporter?   :func:`can_write_report`
- may this user review (return / accept) it?          :func:`can_review_report`
- may this user read it?                              :func:`can_view_report`
- which reports may this user see?                    :func:`reports_visible_to`
- which users may review this report?                 :func:`users_who_can_review`
- who reviews this reporter's report (to tell them)?  :func:`reviewers_of`
- does this user see this reporter at all?            :func:`may_see_reporter`,
                                                      :func:`may_view_reporter`

``report.write`` is carried by the secretary role, whose grant reaches one level down; a report
is the reporter's own account, so writing is narrowed to a secretary grant *exactly* on the
reporting unit, or to the account linked to the reporting person while that person holds a
post in the reporting unit in the round's year (writing follows the post). Reviewing is a
matter of the round's host: ``report.review`` on the host unit (the superior hears its
subordinates).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q, QuerySet

from shuzhi.cycles.models import RoundReporter
from shuzhi.kernel.roles import ONE_LEVEL_ROLES, roles_for
from shuzhi.kernel.scope import granted_exactly_at, is_active_user, is_global, scopes_for
from shuzhi.orgs.people.models import Post
from shuzhi.orgs.tree import policies as org_policies
from shuzhi.reports.reports.models import Report, ReportStatus


def _reporter_of(obj: Report | RoundReporter) -> RoundReporter:
    return obj.reporter if isinstance(obj, Report) else obj


def _post_in_unit(person_id, unit_id, year) -> QuerySet[Post]:
    """Posts of the person in the unit held at some time in ``year`` (values or outer refs)."""
    return Post.objects.filter(
        person_id=person_id, unit_id=unit_id, start_date__year__lte=year
    ).filter(Q(end_date__isnull=True) | Q(end_date__year__gte=year))


def _is_reporting_person(user, reporter: RoundReporter) -> bool:
    """Is ``user`` the reporting person, holding a post in the reporting unit in the round's
    year? The account link alone is not enough: writing follows the post, so an account linked
    to a person whose post is elsewhere writes nothing here."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    person_id = getattr(user, "person_id", None)
    if person_id is None or person_id != reporter.person_id:
        return False
    return _post_in_unit(person_id, reporter.unit_id, reporter.round.year).exists()


def can_write_report(user, report_or_reporter: Report | RoundReporter) -> bool:
    """May ``user`` write (draft, submit, attach to) this reporter's report?"""
    reporter = _reporter_of(report_or_reporter)
    if is_global(user):
        return True
    if _is_reporting_person(user, reporter):
        return True
    unit_path = reporter.unit.path
    # A secretary's scope covers the unit and its children; only the unit itself is "own".
    return any(scope.path == unit_path for scope in scopes_for(user, "report.write"))


def users_who_can_write(reporter: RoundReporter, *, besides=None) -> list[int]:
    """Ids of the active users who write ``reporter``'s report and plan — the rule of
    :func:`can_write_report` as a query: the account linked to the reporting person, and a grant
    carrying ``report.write`` exactly on the reporting unit. Superusers may write anything but
    are not the reporter's writers, so they are not counted; nor is ``besides`` (the user
    acting, who needs no message about their own act)."""
    own = Q(
        grants__unit_id=reporter.unit_id,
        grants__unit__status="active",
        grants__role__in=roles_for("report.write"),
    )
    if (
        reporter.person_id
        and _post_in_unit(reporter.person_id, reporter.unit_id, reporter.round.year).exists()
    ):
        own |= Q(person_id=reporter.person_id)
    users = get_user_model().objects.filter(own, is_active=True)
    if besides is not None and getattr(besides, "pk", None):
        users = users.exclude(pk=besides.pk)
    return sorted(set(users.values_list("pk", flat=True)))


def can_review_report(user, report: Report) -> bool:
    """May ``user`` return or accept ``report``? ``report.review`` on the round's host."""
    return org_policies.can(user, "report.review", report.reporter.round.host)


def can_view_report(user, report: Report) -> bool:
    """``report.view`` on the reporting unit or on the host, or the writer themselves; a
    draft only by those who write it (nothing of it leaves them before submission)."""
    if report.status == ReportStatus.DRAFT:
        return can_write_report(user, report)
    reporter = report.reporter
    return (
        org_policies.can(user, "report.view", reporter.unit)
        or org_policies.can(user, "report.view", reporter.round.host)
        or _is_reporting_person(user, reporter)
    )


def writable_reporters(user) -> QuerySet[RoundReporter]:
    """Reporters whose report ``user`` writes: a grant carrying ``report.write`` exactly on the
    unit, or the reporting person's own account (the rule of :func:`can_write_report` as a
    filter)."""
    if not is_active_user(user):
        return RoundReporter.objects.none()
    paths = [path for path, _depth in granted_exactly_at(user, "report.write")]
    condition = Q(unit__path__in=paths)
    if getattr(user, "person_id", None):
        holds_post = _post_in_unit(user.person_id, OuterRef("unit_id"), OuterRef("round__year"))
        condition |= Q(person_id=user.person_id) & Q(Exists(holds_post))
    return RoundReporter.objects.filter(condition)


def reports_visible_to(user) -> QuerySet[Report]:
    """Reports whose reporting unit or round host lies in ``user``'s ``report.view`` scope,
    and the reporting person's own; drafts only for their writers."""
    return Report.objects.visible_to(user)


def may_view_reporter(user, action: str, reporter: RoundReporter) -> bool:
    """``action`` on the reporting unit or on the round's host — how a reporter's report,
    critiques and plan are seen (each part adds its own writers)."""
    return org_policies.can(user, action, reporter.unit) or org_policies.can(
        user, action, reporter.round.host
    )


def may_see_reporter(user, reporter: RoundReporter) -> bool:
    """Does ``user`` see ``reporter``'s report at all: ``report.view`` on the unit or the host,
    or they write it (404 otherwise; 403 when seen but not theirs to write)."""
    return may_view_reporter(user, "report.view", reporter) or can_write_report(user, reporter)


def users_who_can_review(report: Report) -> QuerySet:
    """Active users who may return or accept ``report``."""
    return org_policies.users_who_can("report.review", report.reporter.round.host)


def reviewers_of(reporter: RoundReporter) -> list[int]:
    """Ids of the active users who review ``reporter``'s report: those whose grant carrying
    ``report.review`` sits nearest above the reporter — on the round's host itself when anyone
    holds one there (the host's secretary and organisers), else on the nearest ancestor that
    has one. Everyone further up *could* review (a province organiser reaches every county's
    round) but is not this reporter's reviewer, and superusers are nobody's reviewer: telling
    them of every submission would bury the messages meant for them.
    """
    host = reporter.round.host
    paths = [f"/{'/'.join(map(str, host.ancestor_ids[:i]))}/" for i in range(1, host.depth)]
    paths.append(host.path)
    rows = (
        get_user_model()
        .objects.filter(
            is_active=True,
            grants__unit__path__in=paths,
            grants__unit__status="active",
            grants__role__in=roles_for("report.review"),
        )
        .values_list("pk", "grants__unit__depth", "grants__role")
    )
    # A one-level grant (a secretary's) reaches the host only from the host or its parent.
    reaching = [
        (pk, depth)
        for pk, depth, role in rows
        if role not in ONE_LEVEL_ROLES or depth >= host.depth - 1
    ]
    if not reaching:
        return []
    nearest = max(depth for _pk, depth in reaching)
    return sorted({pk for pk, depth in reaching if depth == nearest})
