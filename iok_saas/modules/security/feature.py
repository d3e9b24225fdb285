"""The resident's own security page: sign-in history, sessions, security e-mails."""

from iok_saas.features import Feature, Mount

FEATURE = Feature(
    name="security",
    mounts=(Mount(".blueprint:bp", "/konto/bezpieczenstwo"),),
    models=".models",
)
