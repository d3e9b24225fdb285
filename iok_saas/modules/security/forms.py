from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SubmitField

from iok_saas.forms import BaseForm


class ConfirmForm(BaseForm):
    submit = SubmitField(_l("Potwierdź"))


class BlockByLinkForm(BaseForm):
    submit = SubmitField(_l("Zablokuj konto"))
