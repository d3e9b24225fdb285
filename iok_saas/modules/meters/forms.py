"""Forms of the meters feature: a resident's reading and the staff decision."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, DecimalField, SelectField, SubmitField
from wtforms.validators import InputRequired, NumberRange, StopValidation, ValidationError
from wtforms.widgets import TextInput

from iok_saas.forms import BaseForm
from iok_saas.modules.portal.desk import decision_form


class CommaDecimalField(DecimalField):
    """A decimal number typed the Polish way ("123,456") or with a point; spaces ignored.

    A text input (with a decimal keypad on phones) rather than type=number, whose handling
    of a decimal comma differs between browsers; it shows the value with a comma too.
    """

    widget = TextInput()

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else format(self.data, "f").replace(".", ",")

    def process_formdata(self, valuelist):
        if valuelist:
            valuelist = [valuelist[0].replace(" ", "").replace("\u00a0", "").replace(",", ".")]
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            raise ValueError(str(_l("Podaj stan wodomierza jako liczbę, np. 123,456."))) \
                from exc

    def pre_validate(self, form):
        # A value that could not be read has said so; the range checks would only add a
        # message that does not apply to it.
        if self.process_errors:
            raise StopValidation()


def at_most_three_places(_form, field) -> None:
    """Meters show thousandths of a cubic metre; a finer digit would be rounded away."""
    if field.data is not None and field.data.as_tuple().exponent < -3:
        raise ValidationError(_l("Podaj najwyżej trzy cyfry po przecinku."))


class ReadingForm(BaseForm):
    # Choices are the resident's meters; the view answers any other id with a 404.
    meter = SelectField(_l("Wodomierz"), coerce=int, validate_choice=False,
                        validators=[InputRequired(_l("Wybierz wodomierz."))])
    read_on = DateField(_l("Data odczytu"),
                        validators=[InputRequired(_l("Podaj datę odczytu."))],
                        description=_l("Dzień, w którym odczytano wodomierz: nie później niż "
                                       "dziś i nie wcześniej niż ostatni przyjęty odczyt."))
    value = CommaDecimalField(
        _l("Stan wodomierza (m³)"), places=3,
        render_kw={"inputmode": "decimal", "autocomplete": "off"},
        validators=[InputRequired(_l("Podaj stan wodomierza, np. 123,456.")),
                    NumberRange(min=0, message=_l("Stan wodomierza nie może być ujemny.")),
                    NumberRange(max=99999999, message=_l(
                        "Stan wodomierza może mieć najwyżej 8 cyfr przed przecinkiem.")),
                    at_most_three_places],
        description=_l("Wszystkie cyfry z tarczy, z trzema miejscami po przecinku "
                       "(czerwone cyfry to części metra sześciennego), np. 123,456."))
    confirm = BooleanField(_l("Potwierdzam, że odczyt jest prawidłowy"))
    submit = SubmitField(_l("Wyślij odczyt"))


DecisionForm = decision_form(
    _l("Wymagany przy odrzuceniu; mieszkaniec zobaczy go w historii odczytów i w wiadomości "
       "e-mail."),
    "accept", _l("Przyjmij odczyt"), _l("Odrzuć odczyt"))
