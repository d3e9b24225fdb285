"""The vote's protocol as PDF (the letters module's document layout)."""

from __future__ import annotations

from flask_babel import gettext as _

from iok_saas.modules.letters.document import PdfSection, PdfTable, document_pdf
from iok_saas.modules.letters.letterhead import letterhead_from_tenant
from iok_saas.tenancy import current_tenant
from iok_saas.timeutil import local, utcnow

from . import services
from .models import FOR, MEMBERS


def _weight(value) -> str:
    return f"{value:.6f}".rstrip("0").rstrip(".") if value is not None else "—"


def _when(moment) -> str:
    return local(moment).strftime("%d.%m.%Y %H:%M")


def protocol_pdf(vote) -> bytes:
    result = services.totals(vote)
    quorum, adopted = (vote.quorum_met, vote.adopted) if vote.closed_at else \
        services.outcome(vote, result)
    labels = services.CHOICE_LABELS
    rows = [[str(labels[choice]), str(result.counts[choice]),
             _weight(result.weights[choice])] for choice in labels]
    members = vote.electorate == MEMBERS
    per_unit = [[elector.label, _weight(elector.weight),
                 str(labels[ballot.choice]) if ballot else _("nie głosował(a)"),
                 (_("papier") if ballot.channel == "paper" else _("elektronicznie"))
                 if ballot else "—"]
                for elector, ballot in services.per_unit(vote)]
    sections = [
        PdfSection(_("Treść uchwały"), paragraphs=(vote.resolution,)),
        PdfSection(_("Głosowanie"), pairs=(
            (_("Okres głosowania"), f"{_when(vote.starts_at)} – {_when(vote.ends_at)}"),
            (_("Uprawnieni"), _("członkowie, po jednym głosie") if members
             else _("właściciele lokali, według udziałów")),
            (_("Liczba uprawnionych"), str(result.electors)),
            (_("Suma wag"), _weight(result.total_weight)),
            (_("Zamknięto"), _when(vote.closed_at) if vote.closed_at else _("jeszcze nie")),
        )),
        PdfSection(_("Wynik"), pairs=(
            (_("Frekwencja (wagi)"), f"{result.turnout_percent} %"),
            (_("Kworum"), _("osiągnięte") if quorum else _("nieosiągnięte")),
            (_("Uchwała"), _("podjęta") if adopted else _("niepodjęta")),
            (_("Głosy „za” (waga)"), _weight(result.weights[FOR])),
        ), table=PdfTable((_("Głos"), _("Liczba"), _("Waga")), rows, right_aligned=(1, 2))),
        PdfSection(_("Lista głosujących") if members else _("Lista lokali"),
                   table=PdfTable((_("Członek") if members else _("Lokal"), _("Waga"),
                                   _("Głos"), _("Sposób")), per_unit, right_aligned=(1,))),
    ]
    return document_pdf(letterhead_from_tenant(current_tenant),
                        _("Protokół głosowania: %(title)s", title=vote.title), sections,
                        issued_at=utcnow())
