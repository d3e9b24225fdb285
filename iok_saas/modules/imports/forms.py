"""Back-office forms of the import desk (Polish labels, lazily translated)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from iok_saas.forms import BaseForm

from .formats import ORDER

DATASET_LABELS = {
    "associations": _l("Wspólnoty i budynki"),
    "units": _l("Lokale"),
    "persons": _l("Osoby"),
    "titles": _l("Tytuły prawne do lokali"),
    "charges": _l("Harmonogram opłat miesięcznych"),
    "ledger": _l("Rozrachunki (zapisy konta)"),
    "meters": _l("Wodomierze"),
    "readings": _l("Odczyty wodomierzy"),
    "memberships": _l("Członkostwo"),
    "shares": _l("Udziały w nieruchomości wspólnej"),
    "court_cases": _l("Sprawy sądowe"),
    "land_costs": _l("Koszty zakupu gruntu"),
    "services": _l("Inne usługi"),
    "notices": _l("Zawiadomienia o wysokości opłat"),
    "notice_lines": _l("Składniki zawiadomień o opłatach"),
    "multi": _l("Wiele zbiorów"),
}
STATUS_LABELS = {
    "applied": _l("zastosowany"),
    "rejected": _l("odrzucony"),
    "checked": _l("sprawdzony (podgląd)"),
}
SOURCE_LABELS = {
    "staff": _l("biuro"),
    "cli": _l("wiersz poleceń"),
    "api": _l("API"),
    "demo": _l("dane demonstracyjne"),
}


def format_choices() -> list[tuple[str, str]]:
    return [("json", str(_l("JSON — jeden lub wiele zbiorów")))] + [
        (name, str(_l("CSV — %(label)s (%(name)s)", label=DATASET_LABELS[name], name=name)))
        for name in ORDER]


class UploadForm(BaseForm):
    file_format = SelectField(_l("Rodzaj pliku"), validators=[DataRequired()],
                              description=_l("Plik CSV zawiera jeden zbiór danych; plik JSON "
                                             "może zawierać kilka."))
    file = FileField(_l("Plik z systemu księgowego"),
                     validators=[FileRequired(_l("Wybierz plik."))])
    submit = SubmitField(_l("Sprawdź plik"))


class ApplyForm(BaseForm):
    submit = SubmitField(_l("Zastosuj import"))


class TokenForm(BaseForm):
    name = StringField(_l("Nazwa tokenu"),
                       validators=[DataRequired(_l("Podaj nazwę tokenu.")),
                                   Length(max=100, message=_l("Najwyżej 100 znaków."))],
                       description=_l("Np. nazwa systemu księgowego, który będzie go używał."))
    submit = SubmitField(_l("Utwórz token"))


class RevokeForm(BaseForm):
    submit = SubmitField(_l("Unieważnij"))
