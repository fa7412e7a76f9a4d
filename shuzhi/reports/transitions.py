"""The status machines of the reports app: the 述职报告 and the rectification plan (整改方案).

Both move only through :func:`shuzhi.core.transitions.apply` with the machines below; the
services (``services.submit`` / ``return_report`` / ``accept``, ``plan_services.submit_plan``
/ ``return_plan`` / ``approve_plan``) add the domain checks and the other fields of a move.

    report: draft ──submit──▶ submitted ──accept──▶ accepted
                                │   ▲
                         return │   │ resubmit
                                ▼   │
                              returned

    plan:   draft ──报送──▶ submitted ──批准──▶ approved
                            │   ▲
                       退回 │   │ 重新报送
                            ▼   │
                          returned
"""

from __future__ import annotations

from shuzhi.core.transitions import Machine, Transition, register
from shuzhi.reports.plans.models import PlanStatus, RectificationPlan
from shuzhi.reports.plans.policies import can_review_plan, can_write_plan
from shuzhi.reports.reports.models import Report, ReportEvent, ReportStatus
from shuzhi.reports.reports.policies import can_review_report, can_write_report

S = ReportStatus
WRITER, REVIEWER = "writer", "reviewer"


def _may_report(user, report: Report, move: Transition) -> bool:
    if move.permission == WRITER:
        return can_write_report(user, report)
    return can_review_report(user, report)


def _report_denied(report: Report, move: Transition) -> str:
    if move.permission == WRITER:
        return "只有述职单位的书记本人可以撰写和提交该述职报告。"
    return "只有主办组织的审核人员可以退回或审核通过该述职报告。"


def _report_refused(machine: Machine, report: Report, source: str, target: str) -> dict[str, str]:
    verb = "提交" if target == S.SUBMITTED else machine.label_of(target)
    return {"status": f"报告当前状态为“{machine.label_of(source)}”，不能{verb}。"}


def record_event(report: Report, *, actor, source: str, target: str, note: str) -> ReportEvent:
    """Write the history row (``ReportEvent``) of one move of ``report``."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    label = ""
    if user is not None:
        label = getattr(user, "display_name", "") or user.get_username()
    return ReportEvent.objects.create(
        report=report,
        from_status=source,
        to_status=target,
        actor=user,
        actor_label=label[:150],
        comment=note,
        version=report.version,
    )


REPORT = register(
    Machine(
        name="reports.report",
        model=Report,
        transitions=[
            Transition(S.DRAFT, S.SUBMITTED, "提交", WRITER, action="report.submit"),
            Transition(S.RETURNED, S.SUBMITTED, "重新提交", WRITER, action="report.resubmit"),
            Transition(
                S.SUBMITTED,
                S.RETURNED,
                "退回修改",
                REVIEWER,
                action="report.return",
                requires_reason=True,
            ),
            Transition(S.SUBMITTED, S.ACCEPTED, "审核通过", REVIEWER, action="report.accept"),
        ],
        policy=_may_report,
        scope_path=lambda report: report.reporter.unit.path,
        denied=_report_denied,
        refused=_report_refused,
        reason_missing=lambda move: {"comment": "退回时必须写明修改意见。"},
        history=record_event,
        related=("reporter__round__host", "reporter__unit"),
    )
)


P = PlanStatus
WRITE, REVIEW = "write", "review"


def _may_plan(user, plan: RectificationPlan, move: Transition) -> bool:
    if move.permission == WRITE:
        return can_write_plan(user, plan.reporter)
    return can_review_plan(user, plan.reporter)


PLAN = register(
    Machine(
        name="reports.plan",
        model=RectificationPlan,
        transitions=[
            Transition(P.DRAFT, P.SUBMITTED, "报送审批", WRITE, action="plan.submit"),
            Transition(P.RETURNED, P.SUBMITTED, "修改后重新报送", WRITE, action="plan.submit"),
            Transition(P.SUBMITTED, P.APPROVED, "批准", REVIEW, action="plan.approve"),
            Transition(
                P.SUBMITTED,
                P.RETURNED,
                "退回修改",
                REVIEW,
                action="plan.return",
                requires_reason=True,
            ),
        ],
        policy=_may_plan,
        scope_path=lambda plan: plan.reporter.unit.path,
        denied=lambda plan, move: f"您没有权限对该整改方案执行“{move.label}”。",
        refused=lambda machine, plan, source, target: {
            "status": f"整改方案当前为“{machine.label_of(source)}”，"
            f"不能改为“{machine.label_of(target)}”。"
        },
        reason_missing=lambda move: {"comment": "退回时请写明修改意见。"},
        related=("reporter__round__host", "reporter__unit"),
        touch=("updated_at",),
    )
)
