"""Screens for service-star scoring, training, mentors and role-swap. Thin: forms → services / selectors."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from govservice import access
from govservice.exceptions import DomainError, ValidationFailed
from govservice.models import Centre
from staff.http import AuthenticatedHttpRequest
from staff.models import User

from . import scoring
from . import selectors as sel
from . import services as dev
from .forms import (
    AppealDecisionForm,
    AppealForm,
    FollowUpCompleteForm,
    IndependentForm,
    ManualEntryForm,
    MentorDutyForm,
    MentorPairForm,
    RoleSwapReportForm,
    SpotCheckForm,
)
from .mentor_picker import mentor_candidates
from .models import (
    DutyKind,
    FollowUp,
    RoleSwapFinding,
    RoleSwapPlan,
    ScoreAppeal,
    ScoringRun,
    Source,
    month_start,
    previous_month,
)
from .month_page import month_rules


def _fail(request: HttpRequest, exc: DomainError) -> None:
    messages.error(request, exc.message)


# --- My score -------------------------------------------------------------------------


@login_required
def my_score(request: AuthenticatedHttpRequest) -> HttpResponse:
    scores = list(sel.my_score_list(user=request.user)[:24])
    chosen = None
    if request.GET.get("month"):
        month = sel.parse_month(request.GET["month"])
        chosen = next((s for s in scores if s.run.month == month), None)
        if chosen is None:
            raise Http404
    elif scores:
        chosen = scores[0]
    context: dict = {"scores": scores, "score": chosen}
    if chosen is not None:
        lines = sel.score_breakdown(chosen)
        context["lines"] = [(line, scoring.explain(line)) for line in lines]
        context["appeal"] = ScoreAppeal.objects.filter(staff=request.user, month=chosen.run.month).first()
        indicators = [line.indicator for line in lines]
        if not indicators and chosen.run.scheme is not None:  # a month without data has no lines
            indicators = list(chosen.run.scheme.indicators.select_related("dimension"))
        context["appeal_form"] = AppealForm(initial={"month": f"{chosen.run.month:%Y-%m}"}, indicators=indicators)
    return render(request, "development/scoring/my_score.html", context)


@login_required
@require_POST
def score_appeal(request: AuthenticatedHttpRequest) -> HttpResponse:
    month = sel.parse_month(request.POST.get("month", ""))
    if request.user.centre_id is None:
        raise Http404  # no centre, no month to appeal
    run = ScoringRun.objects.filter(centre_id=request.user.centre_id, month=month).select_related("scheme").first()
    if run is None or run.scheme is None:
        raise Http404
    form = AppealForm(request.POST, indicators=list(run.scheme.indicators.select_related("dimension")))
    if form.is_valid():
        try:
            scoring.score_appeal_file(
                staff=request.user,
                month=month,
                reason=form.cleaned_data["reason"],
                indicator_code=form.cleaned_data["indicator_code"],
            )
            messages.success(request, _("申诉已提交，由中心领导处理。"))
        except DomainError as exc:
            _fail(request, exc)
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
    return redirect(f"{reverse('staff:my-score')}?month={month:%Y-%m}")


# --- Leader's month view --------------------------------------------------------------


@login_required
def score_months(request: AuthenticatedHttpRequest) -> HttpResponse:
    centre = sel.managed_centre(user=request.user, code=request.GET.get("centre"))
    runs = list(sel.run_list_for(user=request.user, centre=centre)[:24])
    last_month = previous_month(month_start(timezone.localdate()))
    context = {
        "centre": centre,
        "centres": sel.centre_list_for(user=request.user),
        "runs": runs,
        "last_month": last_month,
        "follow_ups": sel.follow_ups_for(centre=centre)[:50],
        "talks": sel.reminder_talks_for(centre=centre)[:50],
        "follow_up_form": FollowUpCompleteForm(),
    }
    return render(request, "development/scoring/months.html", context)


def _month_context(request: AuthenticatedHttpRequest, centre: Centre, month_text: str) -> dict:
    month = sel.parse_month(month_text)
    run = sel.run_get_for(user=request.user, centre=centre, month=month)
    context: dict = {"centre": centre, "month": month, "month_text": f"{month:%Y-%m}", "run": run}
    return context


@login_required
def score_month(request: AuthenticatedHttpRequest, month: str) -> HttpResponse:
    centre = sel.managed_centre(user=request.user, code=request.GET.get("centre"))
    context = _month_context(request, centre, month)
    run = context["run"]
    if run is not None:
        context["scores"] = list(sel.month_scores(run))
        context["rules"] = month_rules(run, context["scores"])
        context["appeals"] = list(sel.appeals_for_month(run=run))
        context["decision_form"] = AppealDecisionForm()
        # The same rule scoring_run_lock checks, so the button shows exactly when the lock may succeed.
        context["can_lock"] = run.status == ScoringRun.Status.PREVIEW and access.can_lock_scores(
            request.user, centre.id
        )
    context["scheme"] = scoring.scheme_for(centre=centre, month=context["month"])
    return render(request, "development/scoring/month.html", context)


@login_required
def score_status(request: AuthenticatedHttpRequest, month: str) -> HttpResponse:
    """The run's progress state; the month page polls it while the run is queued or running."""
    centre = sel.managed_centre(user=request.user, code=request.GET.get("centre"))
    context = _month_context(request, centre, month)
    response = render(request, "development/scoring/_status.html", context)
    run = context["run"]
    if request.GET.get("polling") and run and run.status not in (ScoringRun.Status.QUEUED, ScoringRun.Status.RUNNING):
        response["HX-Refresh"] = "true"  # the run finished: reload the page to show the results
    return response


@login_required
@require_POST
def score_run(request: AuthenticatedHttpRequest, month: str) -> HttpResponse:
    centre = sel.managed_centre(user=request.user, code=request.POST.get("centre"))
    try:
        scoring.scoring_run_request(centre=centre, month=sel.parse_month(month), actor=request.user)
        messages.success(request, _("已开始计算，完成后页面自动刷新。"))
    except DomainError as exc:
        _fail(request, exc)
    return redirect(f"{reverse('staff:score-month', args=[month])}?centre={centre.code}")


@login_required
@require_POST
def score_lock(request: AuthenticatedHttpRequest, month: str) -> HttpResponse:
    centre = sel.managed_centre(user=request.user, code=request.POST.get("centre"))
    run = sel.run_get_for(user=request.user, centre=centre, month=sel.parse_month(month))
    if run is None:
        raise Http404
    try:
        scoring.scoring_run_lock(run_id=run.id, actor=request.user)
        messages.success(request, _("已锁定，结果已发布到大厅公示屏。"))
    except DomainError as exc:
        _fail(request, exc)
    return redirect(f"{reverse('staff:score-month', args=[month])}?centre={centre.code}")


@login_required
@require_POST
def score_appeal_decide(request: AuthenticatedHttpRequest, appeal_id: int) -> HttpResponse:
    appeal = get_object_or_404(sel.scope_to_user(ScoreAppeal.objects.all(), request.user), id=appeal_id)
    if not access.has_management_role(request.user):
        raise Http404
    form = AppealDecisionForm(request.POST)
    if form.is_valid():
        try:
            scoring.score_appeal_decide(appeal_id=appeal.id, actor=request.user, **form.cleaned_data)
            messages.success(request, _("申诉已处理，评分已按处理结果重新计算。"))
        except DomainError as exc:
            _fail(request, exc)
    else:
        messages.error(request, _("请填写处理意见。"))
    return redirect(f"{reverse('staff:score-month', args=[f'{appeal.month:%Y-%m}'])}?centre={appeal.centre.code}")


@login_required
@require_POST
def follow_up_complete(request: AuthenticatedHttpRequest, follow_up_id: int) -> HttpResponse:
    follow_up = get_object_or_404(sel.scope_to_user(FollowUp.objects.all(), request.user), id=follow_up_id)
    form = FollowUpCompleteForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationFailed(_("请记录约谈或培训的结果。"))
        scoring.follow_up_complete(follow_up_id=follow_up.id, actor=request.user, outcome=form.cleaned_data["outcome"])
        messages.success(request, _("已记录完成。"))
    except DomainError as exc:
        _fail(request, exc)
    return redirect(reverse("staff:score-months"))


@login_required
def score_inputs(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Spot checks by inspectors and manual entries with a reason, for months not yet locked."""
    centre = sel.managed_centre(user=request.user, code=request.GET.get("centre"))
    staff = scoring.window_staff_of(centre).order_by("username")
    today = timezone.localdate()
    scheme = scoring.scheme_for(centre=centre, month=today) or scoring.scheme_for(
        centre=centre, month=previous_month(month_start(today))
    )
    manual_indicators = list(scheme.indicators.filter(source=Source.MANUAL)) if scheme else []
    spot_form = SpotCheckForm(staff_queryset=staff, prefix="spot")
    manual_form = ManualEntryForm(staff_queryset=staff, indicators=manual_indicators, prefix="manual")
    if request.method == "POST":
        try:
            if "spot-staff" in request.POST:
                spot_form = SpotCheckForm(request.POST, staff_queryset=staff, prefix="spot")
                if spot_form.is_valid():
                    scoring.spot_check_record(inspector=request.user, **spot_form.cleaned_data)
                    messages.success(request, _("抽查记录已保存。"))
                    return redirect(reverse("staff:score-inputs"))
            else:
                manual_form = ManualEntryForm(
                    request.POST, staff_queryset=staff, indicators=manual_indicators, prefix="manual"
                )
                if manual_form.is_valid():
                    scoring.manual_entry_record(author=request.user, **manual_form.cleaned_data)
                    messages.success(request, _("人工录入已保存。"))
                    return redirect(reverse("staff:score-inputs"))
        except DomainError as exc:
            _fail(request, exc)
    from .models import ManualEntry, SpotCheck

    context = {
        "centre": centre,
        "spot_form": spot_form,
        "manual_form": manual_form,
        "spot_checks": SpotCheck.objects.filter(centre=centre).select_related("staff", "inspector")[:20],
        "manual_entries": ManualEntry.objects.filter(centre=centre).select_related("staff", "author")[:20],
    }
    return render(request, "development/scoring/inputs.html", context)


# --- Hall notice board ----------------------------------------------------------------


def star_board(request: HttpRequest, centre_code: str) -> HttpResponse:
    """The hall's big screen: public, showing only name, window and photo of this month's stars."""
    centre = get_object_or_404(Centre, code=centre_code)
    run, stars = sel.star_board(centre=centre)
    return render(request, "development/scoring/board.html", {"centre": centre, "run": run, "stars": stars})


# --- Training -------------------------------------------------------------------------


@login_required
def training(request: AuthenticatedHttpRequest) -> HttpResponse:
    centre = sel.managed_centre(user=request.user, code=request.GET.get("centre"))
    year = int(request.GET.get("year") or timezone.localdate().year)
    today = timezone.localdate()
    context = {
        "centre": centre,
        "year": year,
        "summary": dev.training_plan_vs_actual(centre=centre, year=year),
        "sessions": sel.sessions_for(user=request.user, centre=centre, year=year).order_by("-held_on")[:60],
        "missed": dev.training_missed(centre=centre, since=today.replace(month=1, day=1), until=today)[:30],
        "enrolments": sel.training_enrolments_for(centre=centre)[:50],
    }
    return render(request, "development/programmes/training.html", context)


@login_required
def training_session(request: AuthenticatedHttpRequest, session_id: int) -> HttpResponse:
    session = sel.session_get_for(user=request.user, session_id=session_id)
    if request.method == "POST":
        who = request.user
        if request.POST.get("staff") and access.has_management_role(request.user):
            who = get_object_or_404(User, id=request.POST["staff"], centre_id=session.centre_id)
        try:
            dev.attendance_sign_in(session=session, staff=who)
            messages.success(request, _("%(name)s 已签到。") % {"name": who.name})
        except DomainError as exc:
            _fail(request, exc)
        return redirect(reverse("staff:training-session", args=[session.id]))
    signed = {a.staff_id: a for a in session.attendances.select_related("staff")}
    audience = dev.session_audience(session)
    context = {
        "session": session,
        "rows": [(person, signed.get(person.id)) for person in audience],
        "extra": [a for a in signed.values() if a.staff_id not in {p.id for p in audience}],
        "is_manager": access.has_management_role(request.user),
        "me_signed": request.user.id in signed,
    }
    return render(request, "development/programmes/session.html", context)


# --- Mentors --------------------------------------------------------------------------


@login_required
def mentors(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Managers pair and oversee; a mentor sees and logs their own pairings."""
    manager = access.has_management_role(request.user)
    if manager:
        centre = sel.managed_centre(user=request.user, code=request.GET.get("centre"))
    elif access.is_mentor(request.user) and request.user.centre:
        centre = request.user.centre
    else:
        raise Http404
    staff = scoring.window_staff_of(centre).order_by("username")
    mentors, not_offered = mentor_candidates(staff, timezone.localdate())
    form = (
        MentorPairForm(staff_queryset=staff, mentor_queryset=mentors, initial={"started_on": timezone.localdate()})
        if manager
        else None
    )
    if request.method == "POST" and manager:
        form = MentorPairForm(request.POST, staff_queryset=staff, mentor_queryset=mentors)
        if form.is_valid():
            try:
                dev.mentor_pair(actor=request.user, **form.cleaned_data)
                messages.success(request, _("结对已建立。"))
                return redirect(reverse("staff:mentors"))
            except DomainError as exc:
                _fail(request, exc)
    pairing_queryset = dev.mentor_pairings_for(centre=centre)
    if not manager:
        pairing_queryset = pairing_queryset.filter(mentor=request.user)
    pairings = list(pairing_queryset)
    rows = [(p, dev.mentor_missed_duties(p)) for p in pairings]
    independent = [p.days_to_independence for p in pairings if p.days_to_independence is not None]
    context = {
        "centre": centre,
        "form": form,
        "rows": rows,
        "average_days": round(sum(independent) / len(independent)) if independent else None,
        "not_offered": not_offered if manager else [],
        "duty_kinds": DutyKind.choices,
    }
    return render(request, "development/programmes/mentors.html", context)


@login_required
@require_POST
def mentor_duty(request: AuthenticatedHttpRequest, pairing_id: int) -> HttpResponse:
    pairing = sel.mentor_pairing_get_for(user=request.user, pairing_id=pairing_id)
    form: IndependentForm | MentorDutyForm
    try:
        if "independent_on" in request.POST:
            form = IndependentForm(request.POST)
            if form.is_valid():
                dev.mentee_mark_independent(pairing=pairing, on=form.cleaned_data["independent_on"], actor=request.user)
        else:
            form = MentorDutyForm(request.POST)
            if form.is_valid():
                dev.mentor_duty_record(pairing=pairing, actor=request.user, **form.cleaned_data)
        if form.is_valid():
            messages.success(request, _("已记录。"))
        else:
            messages.error(request, _("请填写日期。"))
    except DomainError as exc:
        _fail(request, exc)
    return redirect(reverse("staff:mentors"))


# --- Role-swap ------------------------------------------------------------------------


@login_required
def role_swap(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Managers see the centre's plans; a member of staff sees their own and files the report."""
    manager = access.has_management_role(request.user)
    if manager:
        centre = sel.managed_centre(user=request.user, code=request.GET.get("centre"))
    elif request.user.centre:
        centre = request.user.centre
    else:
        raise Http404
    year = int(request.GET.get("year") or timezone.localdate().year)
    plans = sel.role_swap_plans_for(user=request.user, centre=centre, year=year)
    if not manager:
        plans = plans.filter(staff=request.user)
    context = {
        "centre": centre,
        "year": year,
        "plans": list(plans),
        "is_manager": manager,
        "report_form": RoleSwapReportForm(initial={"done_on": timezone.localdate()}),
    }
    return render(request, "development/programmes/role_swap.html", context)


@login_required
@require_POST
def role_swap_report(request: AuthenticatedHttpRequest, plan_id: int) -> HttpResponse:
    plan = get_object_or_404(sel.scope_to_user(RoleSwapPlan.objects.all(), request.user), id=plan_id)
    form = RoleSwapReportForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            dev.role_swap_report_file(
                plan=plan,
                actor=request.user,
                done_on=data["done_on"],
                what_was_done=data["what_was_done"],
                minutes_taken=data["minutes_taken"],
                findings=form.findings(),
            )
            messages.success(request, _("体验报告已提交。"))
        except DomainError as exc:
            _fail(request, exc)
    else:
        messages.error(request, _("请填写体验日期、用时和体验过程。"))
    return redirect(f"{reverse('staff:role-swap')}?year={plan.year}")


@login_required
@require_POST
def role_swap_to_ledger(request: AuthenticatedHttpRequest, finding_id: int) -> HttpResponse:
    finding = get_object_or_404(
        sel.scope_to_user(RoleSwapFinding.objects.all(), request.user, centre_field="report__plan__centre"),
        id=finding_id,
    )
    try:
        problem = dev.role_swap_finding_to_ledger(finding_id=finding.id, actor=request.user)
        messages.success(request, _("已列入整改台账：%(code)s") % {"code": problem.code})
    except DomainError as exc:
        _fail(request, exc)
    return redirect(f"{reverse('staff:role-swap')}?year={finding.report.plan.year}")
