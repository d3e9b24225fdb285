"""Resident pages of voting: routes only (logic in services.py)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from iok_saas.extensions import db
from iok_saas.modules.portal import tab_required

from . import services
from .forms import BallotForm

bp = Blueprint("voting", __name__, template_folder="templates")


@bp.context_processor
def _vocabulary() -> dict:
    return {"state_of": services.state, "state_labels": services.STATE_LABELS,
            "choice_labels": services.CHOICE_LABELS}


def _actor() -> str:
    return f"resident:{current_user.login}"


@bp.get("/")
@tab_required("voting")
def index():
    votes = services.votes_for(current_user.person_id)
    ballots = {vote.id: services.ballots_of(vote, electors) for vote, electors in votes}
    return render_template("voting/index.html", votes=votes, ballots=ballots)


def _page(vote, electors, form, error=None, status=200):
    ballots = services.ballots_of(vote, electors)
    result = services.totals(vote) if vote.closed_at else None
    return render_template("voting/show.html", vote=vote, electors=electors, form=form,
                           ballots=ballots, result=result, error=error,
                           attachments=services.attachments(vote),
                           per_unit=services.per_unit(vote) if result else None), status


def _form(electors) -> BallotForm:
    form = BallotForm()
    form.elector.choices = [SelectChoice(e.id, e.label) for e in electors]
    return form


@bp.get("/<int:vote_id>")
@tab_required("voting")
def show(vote_id: int):
    found = services.visible_vote(current_user.person_id, vote_id)
    if found is None:
        abort(404)
    vote, electors = found
    return _page(vote, electors, _form(electors))


@bp.post("/<int:vote_id>/glos")
@tab_required("voting")
def cast(vote_id: int):
    found = services.visible_vote(current_user.person_id, vote_id)
    if found is None:
        abort(404)
    vote, electors = found
    form = _form(electors)
    if not form.validate_on_submit():
        return _page(vote, electors, form, status=422)
    try:
        services.cast(vote.id, form.elector.data, form.choice.data, current_user.person_id,
                      _actor())
    except services.VotingError as exc:
        db.session.rollback()
        return _page(vote, electors, form, exc.message, 422)
    db.session.commit()
    flash(_("Twój głos został zapisany."), "success")
    return redirect(url_for("voting.show", vote_id=vote.id))
