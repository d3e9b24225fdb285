"""The second sign-in factor (TOTP and recovery codes, passkeys) for residents, staff and
operators, and the passwordless sign-in with a passkey where the policy allows it."""

from iok_saas.features import ADMIN_SITE, Feature, Mount

FEATURE = Feature(
    name="mfa",
    mounts=(Mount(".blueprint:bp", "/logowanie/drugi-krok"),
            Mount(".blueprint:operator_bp", "/operator/drugi-krok", site=ADMIN_SITE),
            Mount(".account_blueprint:bp", "/konto/bezpieczenstwo/drugi-skladnik"),
            Mount(".staff_blueprint:bp", "/staff/drugi-skladnik"),
            Mount(".passkey_blueprint:bp", "/konto/bezpieczenstwo/klucze-dostepu"),
            Mount(".passkey_blueprint:staff_bp", "/staff/klucze-dostepu"),
            Mount(".passkey_blueprint:operator_bp", "/operator/klucze-dostepu",
                  site=ADMIN_SITE),
            Mount(".passkey_blueprint:sign_in_bp", "/logowanie/klucz-dostepu"),
            Mount(".passkey_blueprint:staff_sign_in_bp", "/staff/logowanie/klucz-dostepu")),
    models=".models",
)
