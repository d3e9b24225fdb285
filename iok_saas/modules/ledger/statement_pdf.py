"""The statement as a printable PDF (the generic document of the letters module)."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _

from iok_saas.modules.letters import PdfSection, PdfTable, document_pdf, letterhead_from_tenant
from iok_saas.web import format_money

from .services import Balance, Statement, balance_wording


def _date(day) -> str:
    return day.strftime("%d.%m.%Y")


def statement_pdf(tenant, unit, statement: Statement, balance: Balance, period_label: str,
                  payment: dict | None, *, issued_at: datetime) -> bytes:
    def _money(amount) -> str:
        return "" if amount is None else format_money(amount)

    notices = tenant.policy.notices
    rules = tenant.policy.ledger
    disclaimer = [notices.balance_disclaimer] if notices.balance_disclaimer else []
    lag = [notices.balance_lag] if rules.lag_disclaimer and notices.balance_lag else []

    unit_pairs = [(_("Lokal"), unit.label), (_("Okres"), period_label)]
    if payment:
        unit_pairs += [(_("Rachunek do wpłat"), payment["account"]),
                       (_("Odbiorca"), payment["recipient"]),
                       (_("Tytuł przelewu"), payment["title"])]

    balance_pairs = [(_("Saldo na dzień %(date)s", date=_date(balance.as_of)),
                      f"{_money(balance.total)} ({balance_wording(balance)})")]
    for label, amount in (balance.components(rules.components) if rules.components else []):
        balance_pairs.append((_("w tym %(component)s", component=label), _money(amount)))
    balance_notes = list(disclaimer) + lag
    if balance.simulated and balance.scheduled:
        balance_notes.insert(0, _(
            "Saldo obejmuje opłaty za bieżący miesiąc, których termin płatności jeszcze nie "
            "minął (%(amount)s).", amount=_money(balance.scheduled)))

    rows = [["", "", "", _("Saldo otwarcia"), "", "", _money(statement.opening)]]
    for line in statement.lines:
        rows.append([_date(line.booking_date), line.period.strftime("%m.%Y"),
                     line.kind_label, line.title, _money(line.debit), _money(line.credit),
                     _money(line.balance)])
    rows.append(["", "", "", _("Razem / saldo zamknięcia"), _money(statement.total_debit),
                 _money(statement.total_credit), _money(statement.closing)])
    table = PdfTable(
        headers=(_("Data"), _("Okres"), _("Rodzaj"), _("Tytuł"), _("Wn"), _("Ma"), _("Saldo")),
        rows=rows, right_aligned=(4, 5, 6))

    sections = [
        PdfSection(_("Lokal"), pairs=unit_pairs),
        PdfSection(_("Saldo"), pairs=balance_pairs, paragraphs=balance_notes),
        PdfSection(_("Operacje"), table=table,
                   paragraphs=[_("Saldo ujemne to nadpłata.")]),
    ]
    return document_pdf(letterhead_from_tenant(tenant), _("Wyciąg z konta lokalu"), sections,
                        issued_at=issued_at)
