"""Resident pages of the ledger feature: routes only (logic in services.py)."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from babel import dates as babel_dates
from flask import Blueprint, Response, abort, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup

from iok_saas.i18n import translated
from iok_saas.modules.auth.sessions import session_started
from iok_saas.modules.portal import chosen_unit, remember_unit, resident_units, tab_required
from iok_saas.tenancy import current_tenant
from iok_saas.timeutil import utcnow, warsaw_today

from . import services
from .payment_qr import qr_svg, transfer_payload
from .statement_pdf import statement_pdf

bp = Blueprint("ledger", __name__, template_folder="templates")

NO_STORE = {"Cache-Control": "private, no-store"}  # personal financial data


def _choice() -> services.Choice:
    """The resident's units (theirs only) and what they picked; another's id is a 404.
    Nothing picked on the page: the flat chosen in the switcher, if any; a flat picked
    here becomes the switcher's choice."""
    units = resident_units()
    associations = None
    if current_tenant.policy.ledger.choose_association:
        associations = {unit.association_id: unit.association for unit in units}
    association_id = request.args.get("association", type=int)
    unit_id = request.args.get("unit", type=int)
    chosen = chosen_unit()
    if association_id is None and unit_id is None and chosen is not None:
        unit_id = chosen.id
    try:
        choice = services.choose_unit(units, associations, association_id, unit_id)
    except services.NotYours:
        abort(404)
    if choice.unit is not None:
        remember_unit(choice.unit.id)
    return choice


def _chosen_unit():
    unit = _choice().unit
    if unit is None:
        abort(404)
    return unit


def _months() -> tuple:
    raw = request.args.get("month")
    chosen = services.parse_month(raw)
    if raw and chosen is None:
        abort(404)
    return services.shown_months(current_tenant.policy.ledger.choose_month, chosen,
                                 warsaw_today())


def _as_of():
    """The day the balance is given for: today, or for ``login_day`` the day this
    session started (a new login starts a new session)."""
    return services.balance_date(current_tenant.policy.ledger.balance_as_of, session_started())


def _balance(unit) -> services.Balance:
    return services.balance(unit.id, _as_of(), current_tenant.policy.ledger.simulate_current_month)


def _payment(unit, balance: services.Balance) -> dict | None:
    if not unit.bank_account:
        return None
    title = _("Opłaty lokal %(number)s", number=services.unit_short_number(unit))
    account = services.grouped_account(unit.bank_account)
    return {
        "account": account,
        "recipient": current_tenant.legal_name or current_tenant.short_name,
        "title": title,
        "amount": balance.due,
        "qr": len(account.replace(" ", "")) == 26,
    }


def _options(chosen, pairs) -> list[tuple[str, str]]:
    """(value, label) options of a choice; with nothing chosen yet an empty first option,
    so that no address or flat looks preselected."""
    options = [(str(value), label) for value, label in pairs]
    return options if chosen is not None else [("", _("— wybierz —")), *options]


@lru_cache(maxsize=2048)
def _month_label(month, locale: str) -> str:
    """"listopad 2026": Babel's formatting is slow for a list of 100+ months, and the
    label of a month in a language never changes."""
    return babel_dates.format_date(month, "LLLL yyyy", locale=locale)


@bp.get("/")
@tab_required("ledger")
def index():
    rules = current_tenant.policy.ledger
    choice = _choice()
    # The choice is a GET form with server-made options (no input to validate): the
    # template renders it directly; a select is shown only where there is a choice.
    context = {"choice": choice, "rules": rules, "association_options": None,
               "unit_options": None, "month_options": None}
    if rules.choose_association and len(choice.associations) > 1:
        context["association_options"] = _options(choice.association, (
            (a.id, f"{a.street}, {a.city}") for a in choice.associations))
    if choice.units and len(choice.units) > 1:
        context["unit_options"] = _options(choice.unit, ((u.id, u.label) for u in choice.units))
    if choice.unit is None:
        return render_template("ledger/index.html", **context)

    unit = choice.unit
    first_month, last_month = _months()
    page = services.overview(unit.id, first_month, last_month, _as_of(),
                             rules.simulate_current_month)
    balance = page.balance
    statement = services.with_scheduled(page.statement, balance)
    locale = str(get_locale())
    query = {"unit": unit.id}
    if rules.choose_month:
        query["month"] = first_month.strftime("%Y-%m")
        history = (page.months[-1], page.months[0]) if page.months else None
        context["month_options"] = _month_option_tags(
            history, services.month_start(warsaw_today()), first_month, locale)
    return render_template(
        "ledger/index.html", **context, unit=unit, statement=statement, balance=balance,
        components=balance.components(rules.components) if rules.components else [],
        payment=_payment(unit, balance), disputes=services.dispute_info(current_tenant),
        notices=current_tenant.policy.notices, query=query,
        kind_labels=translated(services.KIND_LABELS),
        period_label=_period_label(first_month, last_month),
    )


@lru_cache(maxsize=1024)
def _month_option_tags(history: tuple | None, current: date, chosen: date,
                       locale: str) -> Markup:
    """The month picker's <option>s ("2026-11", "listopad 2026"), newest first: every month
    of the flat's history (its first and last), this month and the chosen one. Rendered once
    per such range, language and choice: most flats share one range."""
    months = {*services.month_range(*history), current, chosen} if history else {current, chosen}
    options = [(month.strftime("%Y-%m"), _month_label(month, locale))
               for month in sorted(months, reverse=True)]
    return Markup(render_template(  # noqa: S704  (an autoescaped template)
        "ledger/_options.html", options=options, chosen=chosen.strftime("%Y-%m")))


def _period_label(first_month, last_month) -> str:
    locale = str(get_locale())
    if first_month == last_month:
        return _month_label(first_month, locale)
    return f"{_month_label(first_month, locale)} – {_month_label(last_month, locale)}"


def _download_name(unit, first_month, last_month, extension: str) -> str:
    months = first_month.strftime("%Y-%m")
    if last_month != first_month:
        months += "_" + last_month.strftime("%Y-%m")
    number = services.unit_short_number(unit).replace("/", "-")
    safe = "".join(ch for ch in number if ch.isalnum() or ch == "-")
    return f"saldo-lokal-{safe}-{months}.{extension}"


@bp.get("/wyciag.csv")
@tab_required("ledger")
def statement_csv():
    unit = _chosen_unit()
    first_month, last_month = _months()
    statement = services.with_scheduled(
        services.statement(unit.id, first_month, last_month), _balance(unit))
    body = services.statement_csv(statement, unit.label)
    name = _download_name(unit, first_month, last_month, "csv")
    return Response(body, mimetype="text/csv", headers={
        **NO_STORE, "Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/wyciag.pdf")
@tab_required("ledger")
def statement_pdf_download():
    unit = _chosen_unit()
    first_month, last_month = _months()
    balance = _balance(unit)
    statement = services.with_scheduled(
        services.statement(unit.id, first_month, last_month), balance)
    body = statement_pdf(current_tenant, unit, statement, balance,
                         _period_label(first_month, last_month), _payment(unit, balance),
                         issued_at=utcnow())
    name = _download_name(unit, first_month, last_month, "pdf")
    return Response(body, mimetype="application/pdf", headers={
        **NO_STORE, "Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/kod-qr.svg")
@tab_required("ledger")
def payment_qr():
    unit = _chosen_unit()
    balance = _balance(unit)
    payment = _payment(unit, balance)
    if payment is None or not payment["qr"]:
        abort(404)
    try:
        payload = transfer_payload(
            nip=services.tenant_nip(current_tenant), account=unit.bank_account,
            amount=balance.due, name=current_tenant.short_name, title=payment["title"])
    except ValueError:
        abort(404)  # a malformed account number in the data: no code rather than a wrong one
    svg = qr_svg(payload, _("Kod QR do przelewu"))
    return Response(svg, mimetype="image/svg+xml", headers=NO_STORE)
