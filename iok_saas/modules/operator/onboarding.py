"""Between the onboarding form and a tenant manifest: the form's fields in the manifest's
shape. Nothing is checked here; ``manifest_from_form`` validates with the manifest schema."""

from __future__ import annotations

from .forms import TenantForm

DEPARTMENT_PARTS = ("room", "phone", "email")
"""After 'key: name', the optional parts of a department line, separated by '|'."""


def _text(field) -> str:
    return (field.data or "").strip()


def manifest_data(form: TenantForm) -> dict:
    """The manifest the form describes, in the same shape as a tenants/<slug>.yaml file
    (empty inputs are dropped by ``manifest_from_form``, as a file would leave them out)."""
    contact: dict = {"email": _text(form.email), "website": _text(form.website),
                     "office_hours": _text(form.office_hours)}
    if _text(form.phone):
        contact["phones"] = [{"label": "Biuro", "number": _text(form.phone)}]
    if _text(form.emergency_phone):
        contact["emergency"] = {"label": "Pogotowie", "number": _text(form.emergency_phone)}
    data = {
        "slug": _text(form.slug),
        "short_name": _text(form.short_name),
        "legal_name": _text(form.legal_name),
        "kind": form.kind.data,
        "hosts": [h.strip().lower() for h in (form.hosts.data or "").split() if h.strip()],
        "policy": _text(form.slug),
        "locale": "pl",
        "address": {"street": _text(form.street), "postal_code": _text(form.postal_code),
                    "city": _text(form.city)},
        "contact": contact,
        "departments": parse_departments(form.departments.data),
        "branding": {"primary_color": _text(form.primary_color),
                     "accent_color": _text(form.accent_color),
                     "logo_text": _text(form.logo_text)},
        "regulations": {"version": _text(form.regulations_version),
                        "title": _text(form.regulations_title),
                        "text": form.regulations_text.data or ""},
    }
    tax_ids = {"nip": _text(form.nip), "regon": _text(form.regon)}
    if any(tax_ids.values()):
        data["tax_ids"] = tax_ids
    return data


def parse_departments(text: str | None) -> list[dict]:
    """'key: name | room | phone | email' per line; the parts after the name are optional."""
    departments = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        key, _sep, rest = line.partition(":")
        name, *parts = (part.strip() for part in rest.split("|"))
        department = {"key": key.strip(), "name": name}
        department.update(zip(DEPARTMENT_PARTS, parts, strict=False))
        departments.append(department)
    return departments


def policy_source(form: TenantForm) -> str:
    """Uploaded file, else the edited text, else a one-line policy extending the preset."""
    upload = form.policy_file.data
    if upload:
        return upload.read().decode("utf-8", errors="replace")
    if (form.policy_source.data or "").strip():
        return form.policy_source.data
    return f"extends: {form.policy_preset.data}\n"
