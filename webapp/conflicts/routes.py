"""Conflict pages: the list, one group side by side, and the reviewers' decisions on it."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError
from wtforms.fields.choices import SelectChoice

from claimtrack import conflicts, references
from claimtrack.conflicts import CONFLICT_STATUSES, ConflictError, NotInGroup, Rescope, StaleGroupError
from claimtrack.conflicts.resolve import STALE_MESSAGE

from ..auth.access import lead_required
from ..db import get_session
from models import BLIND_STATUS, row_id

from .forms import (
    AnswerForm, FilterForm, MergeForm, ReferenceResolveForm, ResolveForm, SplitForm, UndoForm, UndoLessonForm,
)

bp = Blueprint("conflicts", __name__)

PAGE_SIZE = 50
# Suggestions shown above the conflicts on the list page; the rest are on their own page.
SUGGESTIONS_ON_LIST = 5
# Competing values shown per group on the list; a group of a long series has dozens, all on its own page.
MEMBERS_SHOWN = 6
# Pages past this would ask the database for an offset it cannot represent.
MAX_PAGE = 1_000_000
STALE = ("This conflict changed while you were deciding (another reviewer or a new document): "
         "nothing was saved. Look at it again below.")


@bp.get("/conflicts")
def index():
    """Groups in conflict, open ones first, filterable by status."""
    form = FilterForm(formdata=request.args)
    status = form.status.data if form.validate() else ""
    page = min(max(form.page.data or 1, 1), MAX_PAGE)
    statuses = (status,) if status else CONFLICT_STATUSES
    session = get_session()
    groups, more = conflicts.conflict_page(session, statuses, PAGE_SIZE, (page - 1) * PAGE_SIZE, current_user.id)
    suggestions, pending = ([], 0)
    if current_user.is_lead:
        suggestions, _ = conflicts.pending_suggestions(session, SUGGESTIONS_ON_LIST, viewer_id=current_user.id)
        pending = conflicts.pending_count(session)
    return render_template("conflicts/index.html", form=form, groups=groups, status=status, page=page, more=more,
                           suggestions=suggestions, pending=pending, answer_form=AnswerForm(),
                           members_shown=MEMBERS_SHOWN)


@bp.get("/conflicts/suggestions")
@lead_required
def suggestions():
    """Pairs of measures that may state the same fact, for a lead to answer."""
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), MAX_PAGE)
    views, more = conflicts.pending_suggestions(get_session(), PAGE_SIZE, (page - 1) * PAGE_SIZE, current_user.id)
    return render_template("conflicts/suggestions.html", suggestions=views, page=page, more=more,
                           answer_form=AnswerForm())


@bp.post("/conflicts/suggestions/<int:suggestion_id>/answer")
@lead_required
def answer(suggestion_id: int):
    """Record a lead's answer to a suggestion; detection follows it at once and from then on."""
    form = AnswerForm()
    back = request.form.get("next") == "suggestions"
    target = url_for("conflicts.suggestions") if back else url_for("conflicts.index")
    session = get_session()
    if not form.validate_on_submit():
        for message in _flat(form.errors):
            flash(message, "error")
        return redirect(target, 303)
    try:
        conflicts.answer_suggestion(session, current_user, suggestion_id, form.answer.data == "same",
                                    form.scope.data, form.note.data or "")
        session.commit()
    except conflicts.AlreadyAnswered as exc:
        session.rollback()
        flash(str(exc), "info")
        return redirect(target, 303)
    except (ConflictError, StaleDataError) as exc:
        session.rollback()
        flash(str(exc) if isinstance(exc, ConflictError) else STALE, "error")
        return redirect(target, 303)
    flash("Answer recorded: the same fact." if form.answer.data == "same" else "Answer recorded: different facts.",
          "success")
    return redirect(target, 303)


@bp.get("/conflicts/learned")
@lead_required
def learned():
    """What leads taught the detector, with an undo for each lesson still in force."""
    return render_template("conflicts/learned.html", lessons=conflicts.lessons(get_session()),
                           undo_form=UndoLessonForm(), scopes=conflicts.SCOPES)


@bp.post("/conflicts/learned/<int:lesson_id>/undo")
@lead_required
def undo_lesson(lesson_id: int):
    """Withdraw a lesson; detection places the claims again without it."""
    session = get_session()
    if not UndoLessonForm().validate_on_submit():
        abort(400)
    try:
        conflicts.undo_lesson(session, current_user, lesson_id)
        session.commit()
    except (ConflictError, StaleDataError) as exc:
        session.rollback()
        flash(str(exc) if isinstance(exc, ConflictError) else STALE, "error")
        return redirect(url_for("conflicts.learned"), 303)
    flash("Lesson undone: detection no longer uses it.", "success")
    return redirect(url_for("conflicts.learned"), 303)


@bp.get("/conflicts/<int:group_id>")
def show(group_id: int):
    """A group's claims side by side with their paragraphs, and the resolution form."""
    detail = conflicts.group_detail(get_session(), group_id, current_user.id) or abort(404, description="No such conflict group.")
    return render_template("conflicts/show.html", detail=detail, form=_resolve_form(detail),
                           undo_form=UndoForm(), merge_form=MergeForm(), split_form=SplitForm(),
                           **_reference_context(detail))


def _reference_context(detail: conflicts.GroupDetail) -> dict:
    """The reference figures the group's claims meet, whether a value they contradict is still in force, and the
    claims awaiting the user's blind second review (the group is not theirs to resolve until they give it)."""
    found = references.group_references(get_session(), detail.group.id)
    active = {m.id for m in detail.members if m.rank != "deprecated" and m.status != "rejected"}
    return {"group_references": found,
            "reference_resolvable": any(active.intersection(r.contradicting) for r in found),
            "blind_ids": [m.id for m in detail.members if m.status == BLIND_STATUS]}


def _resolve_form(detail: conflicts.GroupDetail) -> ResolveForm:
    data = {
        "version": detail.group.version,
        "claims": [
            {"claim_id": m.id, "version": m.version, "period_start": m.period_start, "period_end": m.period_end,
             "subject": m.subject, "measure": m.measure}
            for m in detail.members
        ],
    }
    form = ResolveForm(data=data)
    form.preferred.choices = [SelectChoice(m.id, f"{m.quote} ({m.doc})") for m in detail.members
                              if m.status != "rejected" and m.rank != "deprecated"]
    return form


def _kept_form(detail: conflicts.GroupDetail, submitted: ResolveForm) -> ResolveForm:
    """A resolution form for the group as it is now, holding what the reviewer had filled in."""
    form = _resolve_form(detail)
    for name in ("decision", "preferred", "reason", "note"):
        form[name].data = submitted[name].data
    yours = {sub.claim_id.data: sub for sub in submitted.claims}
    for sub in form.claims:
        if (mine := yours.get(str(sub.claim_id.data))) is not None:
            for name in ("period_start", "period_end", "subject", "measure"):
                sub[name].data = mine[name].data
    return form


def _render_stale(group_id: int, submitted: ResolveForm, stale: StaleGroupError):
    """409: the group as it is now, what moved since the form was loaded, and the reviewer's form kept."""
    session = get_session()
    session.rollback()
    detail = conflicts.group_detail(session, group_id, current_user.id) or abort(404, description="No such conflict group.")
    return render_template("conflicts/show.html", detail=detail, form=_kept_form(detail, submitted), stale=stale,
                           undo_form=UndoForm(), merge_form=MergeForm(), split_form=SplitForm(),
                           **_reference_context(detail)), 409


@bp.post("/conflicts/<int:group_id>/resolve")
def resolve(group_id: int):
    """Record a resolution, or say why it was refused; nothing is saved on a stale form."""
    form = ResolveForm()
    if not form.validate_on_submit():
        return _refused(group_id, [m for errors in form.errors.values() for m in _flat(errors)])
    rescopes = [
        Rescope(int(c.claim_id.data), c.period_start.data, c.period_end.data, c.subject.data, c.measure.data)
        for c in form.claims
    ] if form.decision.data == "all_right" else []
    seen = {int(c.claim_id.data): int(c.version.data) for c in form.claims}
    session = get_session()
    try:
        conflicts.resolve_group(
            session, current_user, group_id, int(form.version.data), form.decision.data, form.note.data,
            preferred_claim_id=form.preferred.data, reason=form.reason.data, rescopes=rescopes, seen=seen,
        )
        session.commit()
    except NotInGroup as exc:
        session.rollback()
        abort(404, description=str(exc))
    except conflicts.AlreadyResolved as exc:
        session.rollback()
        flash(str(exc), "info")
        return redirect(url_for("conflicts.show", group_id=group_id), 303)
    except StaleGroupError as exc:
        return _render_stale(group_id, form, exc)
    except StaleDataError:
        return _render_stale(group_id, form, StaleGroupError(STALE_MESSAGE))
    except ConflictError as exc:
        return _refused(group_id, [str(exc)])
    flash("Resolution recorded.", "success")
    return redirect(url_for("conflicts.show", group_id=group_id), 303)


@bp.post("/conflicts/<int:group_id>/resolve-by-reference")
@lead_required
def resolve_by_reference(group_id: int):
    """A lead's one step: deprecate the group's values a reference contradicts, citing it; back to where they were."""
    form = ReferenceResolveForm()
    claim_id = row_id(form.claim_id.data or "")
    back = (url_for("claims.show", claim_id=claim_id) if claim_id else url_for("conflicts.show", group_id=group_id))
    if not form.validate_on_submit():
        get_session().rollback()
        for message in _flat(form.errors):
            flash(message, "error")
        return redirect(back, 303)
    session = get_session()
    try:
        resolution = conflicts.resolve_by_reference(session, current_user, group_id, int(form.version.data),
                                                    form.note.data or "")
        session.commit()
    except (ConflictError, StaleDataError) as exc:
        session.rollback()
        flash(str(exc) if isinstance(exc, ConflictError) else STALE, "error")
        return redirect(back, 303)
    deprecated = sum(1 for states in resolution.details["claims"].values()
                     if states["before"]["rank"] != "deprecated" and states["after"]["rank"] == "deprecated")
    flash(f"Resolved in favour of the reference: {deprecated} value{'s' if deprecated != 1 else ''} "
          "it contradicts deprecated.", "success")
    return redirect(back, 303)


@bp.post("/conflicts/resolutions/<int:resolution_id>/undo")
@lead_required
def undo(resolution_id: int):
    """Undo a resolution (leads only); the undo is recorded beside it."""
    session = get_session()
    if not UndoForm().validate_on_submit():
        abort(400)
    try:
        resolution = conflicts.undo_resolution(session, current_user, resolution_id)
        group_id = resolution.group_id
        session.commit()
    except (ConflictError, StaleDataError) as exc:
        session.rollback()
        flash(str(exc) if isinstance(exc, ConflictError) else STALE, "error")
        return redirect(url_for("conflicts.index"), 303)
    flash("Resolution undone.", "success")
    return redirect(url_for("conflicts.show", group_id=group_id), 303)


@bp.post("/conflicts/<int:group_id>/merge")
def merge(group_id: int):
    """Merge another group into this one; later detection keeps them together."""
    form = MergeForm()
    if not form.validate_on_submit():
        return _refused(group_id, [m for errors in form.errors.values() for m in _flat(errors)])
    session = get_session()
    try:
        conflicts.merge_groups(session, current_user, group_id, form.other.data, form.note.data or "",
                               learn_scope=form.learn.data or "")
        session.commit()
    except (ConflictError, StaleDataError) as exc:
        return _refused(group_id, [str(exc) if isinstance(exc, ConflictError) else STALE])
    flash(f"Group {form.other.data} merged into this one.", "success")
    return redirect(url_for("conflicts.show", group_id=group_id), 303)


@bp.post("/conflicts/<int:group_id>/split")
def split(group_id: int):
    """Take a claim out of this group into one of its own; later detection keeps it apart."""
    form = SplitForm()
    if not form.validate_on_submit():
        return _refused(group_id, [m for errors in form.errors.values() for m in _flat(errors)])
    session = get_session()
    try:
        new = conflicts.split_claim(session, current_user, form.claim_id.data, form.note.data or "",
                                    learn_scope=form.learn.data or "", group_id=group_id)
        session.commit()
    except NotInGroup as exc:
        session.rollback()
        abort(404, description=str(exc))
    except (ConflictError, StaleDataError) as exc:
        return _refused(group_id, [str(exc) if isinstance(exc, ConflictError) else STALE])
    flash(f"Claim {form.claim_id.data} moved to group {new.id}.", "success")
    return redirect(url_for("conflicts.show", group_id=group_id), 303)


def _refused(group_id: int, messages: list[str]):
    get_session().rollback()
    for message in messages:
        flash(message, "error")
    return redirect(url_for("conflicts.show", group_id=group_id), 303)


def _flat(errors) -> list[str]:
    """WTForms errors, flattened (subforms nest them in lists and dicts)."""
    if isinstance(errors, dict):
        return [m for value in errors.values() for m in _flat(value)]
    if isinstance(errors, list):
        return [m for value in errors for m in _flat(value)]
    return [str(errors)]
