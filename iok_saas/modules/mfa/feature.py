"""The second sign-in factor (TOTP and recovery codes) for residents, staff and operators."""

from iok_saas.features import ADMIN_SITE, Feature, Mount

FEATURE = Feature(
    name="mfa",
    mounts=(Mount(".blueprint:bp", "/logowanie/drugi-krok"),
            Mount(".blueprint:operator_bp", "/operator/drugi-krok", site=ADMIN_SITE),
            Mount(".account_blueprint:bp", "/konto/bezpieczenstwo/drugi-skladnik"),
            Mount(".staff_blueprint:bp", "/staff/drugi-skladnik")),
    models=".models",
)
