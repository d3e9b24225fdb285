"""The "resident submits, staff decides" desk, shared by the features that have one.

A feature (meter readings, occupant declarations, contact data corrections) keeps its own
rules and pages for residents; what its staff desk has in common with the others lives here:
the list of waiting and decided submissions with its filter, the detail page with the decision
form, who may decide (anyone, or the department the policy names), the queries and the steps
every decision takes (:class:`Submissions`: still waiting, a reason for a rejection, the claim
of a waiting submission by one decision), the error a service raises, and the small
vocabulary helpers.
A feature configures one :class:`Desk` and mounts ``desk.blueprint(__name__)``; its templates
extend ``desk/index.html`` and ``desk/detail.html`` and fill in the feature's columns.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from wtforms import SubmitField, TextAreaField
from wtforms.validators import Length, Optional

from iok_saas.domain import NotFound
from iok_saas.extensions import db
from iok_saas.forms import BaseForm
from iok_saas.modules.auth.guards import current_staff, staff_required
from iok_saas.tenancy import current_tenant
from iok_saas.timeutil import utcnow

from .tabs import desk_guard

SUBMITTED = "submitted"
# ?widok=rozpatrzone switches the list from waiting submissions to recent decisions.
DECIDED_VIEW = "rozpatrzone"
COMMENT_MAX = 1000


class DeskError(Exception):
    """A submission that cannot be filed or decided; ``field`` names the form field."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


def state_labeller(labels: Mapping[str, Any]) -> Callable[[str], str]:
    """``state -> its label`` for templates; an unknown state shows as itself."""
    return lambda state: str(labels.get(state, state))


def handling_department(handled_by_key: str) -> str | None:
    """Name of the department the policy gives these submissions to (None = anyone)."""
    key = getattr(current_tenant.policy.handled_by, handled_by_key)
    return current_tenant.department_name(key) if key else None


def department_decides(handled_by_key: str, member) -> bool:
    """Whether staff ``member`` may decide: anyone, unless the policy names a department."""
    key = getattr(current_tenant.policy.handled_by, handled_by_key)
    return key is None or member.department == key


def anyone_decides(member) -> bool:
    return True


def claim(model, item, state: str, actor: str, comment: str | None) -> bool:
    """Decide ``item`` only while it still waits: of two simultaneous decisions one wins.

    Staged, not committed; on success ``item`` is refreshed with the decision."""
    claimed = db.session.execute(
        update(model).where(model.id == item.id, model.state == SUBMITTED)
        .values(state=state, decided_by=actor, decided_at=utcnow(), staff_comment=comment)
        .execution_options(synchronize_session=False)).rowcount
    if claimed == 1:
        db.session.refresh(item)
    return claimed == 1


@dataclass(frozen=True)
class Submissions:
    """One feature's submissions as its desk sees them: which rows (the model, narrowed by
    ``where``), the desk row of each, the two outcomes of a decision, the feature's error
    class, and the words of the two refusals every desk has (lazy strings)."""

    model: type
    to_row: Callable[[Any], Any]
    accepted: str
    rejected: str
    error: type[DeskError]
    already_decided: Any
    reason_needed: Any            # a rejection without a comment
    where: tuple = ()             # e.g. only residents' readings

    def waiting(self) -> list:
        """Desk rows of the submissions still waiting, oldest first."""
        items = db.session.scalars(
            select(self.model).where(self.model.state == SUBMITTED, *self.where)
            .order_by(self.model.created_at, self.model.id))
        return [self.to_row(item) for item in items]

    def decided(self, limit: int = 100) -> list:
        """Desk rows of the latest decisions, newest first."""
        model = self.model
        items = db.session.scalars(
            select(model).where(model.state != SUBMITTED, *self.where)
            .order_by(model.decided_at.desc(), model.id.desc()).limit(limit))
        return [self.to_row(item) for item in items]

    def row_or_404(self, item_id: int):
        """The desk row of submission ``item_id``; any other id, another tenant's included,
        is NotFound."""
        item = db.session.scalar(select(self.model).where(self.model.id == item_id,
                                                          *self.where))
        if item is None:
            raise NotFound
        return self.to_row(item)

    def checked_comment(self, item, accept: bool, comment: str | None) -> str | None:
        """The comment, trimmed; refuses a decided ``item`` and a rejection with no reason."""
        comment = (comment or "").strip() or None
        if item.state != SUBMITTED:
            raise self.error(str(self.already_decided))
        if not accept and not comment:
            raise self.error(str(self.reason_needed), "comment")
        return comment

    def claim(self, item, accept: bool, comment: str | None, actor: str) -> None:
        """Record the decision on ``item`` if it still waits (:func:`claim`); when another
        decision came first, refuse. A feature's ``decide`` claims before it stages anything
        else, so a refusal leaves nothing staged for the request to commit."""
        outcome = self.accepted if accept else self.rejected
        if not claim(self.model, item, outcome, actor, comment):
            raise self.error(str(self.already_decided))


def decision_form(comment_help, accept: str, accept_label, reject_label) -> type[BaseForm]:
    """A staff decision form: a comment for the resident, ``accept`` and ``reject`` buttons."""
    return type("DecisionForm", (BaseForm,), {
        "comment": TextAreaField(
            _l("Komentarz dla mieszkańca"), description=comment_help,
            validators=[Optional(),
                        Length(max=COMMENT_MAX, message=_l("Najwyżej 1000 znaków."))]),
        accept: SubmitField(accept_label),
        "reject": SubmitField(reject_label),
    })


@dataclass(frozen=True)
class Desk:
    """One feature's desk. Rows are the feature's desk rows; ``item`` names the row's
    attribute holding the submission (a model with state, decided_by/at, staff_comment)."""

    name: str                      # blueprint name, e.g. "meters_staff"
    tab: str                       # policy key that shows the desk
    item: str                      # attribute of a row holding the submission
    index_endpoint: str
    detail_endpoint: str
    id_param: str                  # URL parameter of the detail page
    index_template: str
    detail_template: str
    form: type[BaseForm]          # from decision_form()
    accept: str                    # name of the form's accepting button
    submissions: Submissions
    decide: Callable[[Any, bool, str | None, str], Any]
    department: Callable[[], str | None]
    accepted_message: Any          # flashed after the decision (lazy strings)
    rejected_message: Any
    vocabulary: Mapping[str, Any] = field(default_factory=dict)
    details: Callable[[Any], Mapping[str, Any]] = lambda row: {}
    # Who may decide (others may look); see department_decides.
    may_decide: Callable[[Any], bool] = anyone_decides

    def blueprint(self, import_name: str) -> Blueprint:
        bp = Blueprint(self.name, import_name, template_folder="templates")
        bp.before_request(staff_required)
        bp.before_request(desk_guard(self.tab))
        bp.context_processor(self._vocabulary)
        bp.add_url_rule("/", self.index_endpoint, self._index, methods=["GET"])
        bp.add_url_rule(f"/<int:{self.id_param}>", self.detail_endpoint, self._detail,
                        methods=["GET", "POST"])
        return bp

    def _vocabulary(self) -> dict:
        return {**self.vocabulary, "item_attr": self.item, "id_param": self.id_param,
                "index_endpoint": f"{self.name}.{self.index_endpoint}",
                "detail_endpoint": f"{self.name}.{self.detail_endpoint}",
                "accept_field": self.accept}

    def _index(self):
        decided_view = request.args.get("widok") == DECIDED_VIEW
        rows = self.submissions.decided() if decided_view else self.submissions.waiting()
        return render_template(self.index_template, rows=rows, decided_view=decided_view,
                               decided_param=DECIDED_VIEW, department=self.department(),
                               may_act=self.may_decide(current_staff()))

    def _detail(self, **kwargs):
        row = self.submissions.row_or_404(kwargs[self.id_param])
        form = self.form()
        may_act = self.may_decide(current_staff())
        status = 200
        if form.validate_on_submit() and (form[self.accept].data or form.reject.data):
            if not may_act:
                flash(_("Decyzję podejmuje: %(department)s. Twój dział widzi tę sprawę "
                        "tylko do wglądu.", department=self.department()), "error")
                status = 403
            elif self._decided(row, form):
                return redirect(url_for(f"{self.name}.{self.index_endpoint}"))
        return render_template(self.detail_template, row=row, item=getattr(row, self.item),
                               form=form, department=self.department(), may_act=may_act,
                               **self.details(row)), status

    def _decided(self, row, form) -> bool:
        """Decide ``row`` as the form says; False (errors on the form or flashed) if refused."""
        accept = bool(form[self.accept].data)
        try:
            self.decide(row, accept, form.comment.data, f"staff:{current_staff().login}")
        except DeskError as exc:
            if exc.field == "comment":
                form.comment.errors.append(exc.message)
            else:
                flash(exc.message, "error")
            return False
        flash(str(self.accepted_message if accept else self.rejected_message), "success")
        return True
