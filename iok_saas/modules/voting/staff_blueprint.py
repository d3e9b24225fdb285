"""Staff desk of voting (/staff/glosowania/…): routes only."""

from __future__ import annotations

from datetime import timedelta

from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from wtforms import SelectChoice

from iok_saas.extensions import db
from iok_saas.modules.auth.guards import current_resident, current_staff, staff_required
from iok_saas.modules.documents import services as documents
from iok_saas.modules.portal import desk_guard
from iok_saas.tenancy import current_tenant
from iok_saas.timeutil import WARSAW, utcnow

from . import services
from .forms import CloseForm, OpenVoteForm, PaperBallotForm
from .models import OWNERS_BY_SHARE
from .protocol import protocol_pdf

bp = Blueprint("voting_staff", __name__, template_folder="templates")


@bp.before_request
def _no_scans_for_residents():
    """A ballot's scan does not exist for a signed-in resident (not even a sign-in page)."""
    if request.endpoint == "voting_staff.scan" and current_resident() is not None:
        abort(404)


bp.before_request(staff_required)
bp.before_request(desk_guard("voting"))


@bp.context_processor
def _vocabulary() -> dict:
    return {"state_of": services.state, "state_labels": services.STATE_LABELS,
            "choice_labels": services.CHOICE_LABELS, "event_labels": services.EVENT_LABELS}


def _actor() -> str:
    return f"staff:{current_staff().login}"


@bp.get("/")
def index():
    return render_template("voting/staff_index.html", votes=services.all_votes())


@bp.route("/nowe", methods=["GET", "POST"])
def new():
    rules = current_tenant.policy.voting
    start = utcnow().astimezone(WARSAW).replace(second=0, microsecond=0, tzinfo=None)
    ends = start.replace(hour=20, minute=0) + timedelta(days=max(rules.minimum_days, 7))
    form = OpenVoteForm(data={"starts_at": start, "ends_at": ends})
    owners = rules.electorate == OWNERS_BY_SHARE
    form.association_id.choices = [SelectChoice(None, _("— wybierz —"))] + [
        SelectChoice(a.id, f"{a.name} ({a.street}, {a.city})") for a in services.associations()]
    form.documents.choices = [SelectChoice(d.id, d.title + (f" ({d.number})" if d.number
                                                            else ""))
                              for d in documents.attachable()]
    error = None
    if form.validate_on_submit():
        try:
            vote = services.open_vote(services.Opening(
                form.title.data, form.resolution.data,
                form.starts_at.data.replace(tzinfo=WARSAW),
                form.ends_at.data.replace(tzinfo=WARSAW),
                form.association_id.data if owners else None,
                tuple(form.documents.data or ())), _actor())
        except services.VotingError as exc:
            db.session.rollback()
            error = exc.message
        else:
            db.session.commit()
            flash(_("Otwarto głosowanie „%(title)s”.", title=vote.title), "success")
            return redirect(url_for("voting_staff.detail", vote_id=vote.id))
    status = 422 if form.is_submitted() else 200
    return render_template("voting/staff_new.html", form=form, error=error, owners=owners,
                           rules=rules), status


def _detail(vote, paper=None, error=None, status=200):
    if paper is None:
        paper = PaperBallotForm()
    paper.elector.choices = [SelectChoice(e.id, e.label) for e in vote.electors]
    return render_template("voting/staff_detail.html", vote=vote, paper=paper, error=error,
                           close_form=CloseForm(), result=services.totals(vote),
                           outcome=services.outcome(vote, services.totals(vote)),
                           per_unit=services.per_unit(vote),
                           scan_links=services.scan_events(vote),
                           history=services.history(vote),
                           electors={e.id: e.label for e in vote.electors},
                           attachments=services.attachments(vote)), status


def _vote_or_404(vote_id: int):
    vote = services.get(vote_id)
    if vote is None:
        abort(404)
    return vote


@bp.get("/<int:vote_id>")
def detail(vote_id: int):
    return _detail(_vote_or_404(vote_id))


@bp.post("/<int:vote_id>/karta")
def paper(vote_id: int):
    vote = _vote_or_404(vote_id)
    form = PaperBallotForm()
    form.elector.choices = [SelectChoice(e.id, e.label) for e in vote.electors]
    if not form.validate_on_submit():
        return _detail(vote, form, status=422)
    upload = form.scan.data
    try:
        scan = documents.read_pdf(upload.stream if upload else None,
                                  upload.filename if upload else None)
        services.enter_paper(vote.id, form.elector.data, form.choice.data, scan, _actor())
    except (services.VotingError, documents.DocumentError) as exc:
        db.session.rollback()
        return _detail(vote, form, exc.message, 422)
    db.session.commit()
    flash(_("Wprowadzono kartę do głosowania."), "success")
    return redirect(url_for("voting_staff.detail", vote_id=vote.id))


@bp.get("/<int:vote_id>/skan/<int:event_id>")
def scan(vote_id: int, event_id: int):
    """A paper ballot's scan, inline, as its event recorded it (checked by its SHA-256)."""
    vote = _vote_or_404(vote_id)
    event = services.scan_event(vote, event_id)
    if event is None:
        abort(404)
    try:
        data = services.scan_bytes(vote, event)
    except documents.StoredFileBroken:
        flash(_("Skanu karty nie można pokazać: plik zniknął albo nie zgadza się z zapisanym "
                "skrótem SHA-256. Zgłoś to administratorowi."), "error")
        return redirect(url_for("voting_staff.detail", vote_id=vote.id))
    response = make_response(data)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = \
        f'inline; filename="karta-{vote.id}-{event.seq}.pdf"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/<int:vote_id>/zamknij")
def close(vote_id: int):
    vote = _vote_or_404(vote_id)
    if not CloseForm().validate_on_submit():
        return _detail(vote, status=422)
    try:
        services.close(vote.id, _actor())
    except services.VotingError as exc:
        db.session.rollback()
        return _detail(vote, error=exc.message, status=422)
    db.session.commit()
    flash(_("Głosowanie zamknięte; wynik jest zapisany."), "success")
    return redirect(url_for("voting_staff.detail", vote_id=vote.id))


@bp.get("/<int:vote_id>/protokol.pdf")
def protocol(vote_id: int):
    vote = _vote_or_404(vote_id)
    response = make_response(protocol_pdf(vote))
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="protokol-{vote.id}.pdf"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
