"""Between the onboarding form and a tenant manifest (both directions)."""

from __future__ import annotations

from .forms import TenantForm


def manifest_data(form: TenantForm) -> dict:
    """The manifest the form describes, in the same shape as a tenants/<slug>.yaml file."""
    contact: dict = {"email": form.email.data.strip()}
    if form.phone.data:
        contact["phones"] = [{"label": "Biuro", "number": form.phone.data.strip()}]
    if form.emergency_phone.data:
        contact["emergency"] = {"label": "Pogotowie", "number": form.emergency_phone.data.strip()}
    data = {
        "slug": form.slug.data.strip(),
        "short_name": form.short_name.data.strip(),
        "legal_name": form.legal_name.data.strip(),
        "kind": form.kind.data,
        "hosts": [h.strip().lower() for h in (form.hosts.data or "").split() if h.strip()],
        "policy": form.slug.data.strip(),
        "locale": "pl",
        "address": {"street": form.street.data.strip(),
                    "postal_code": form.postal_code.data.strip(),
                    "city": form.city.data.strip()},
        "contact": contact,
        "departments": parse_departments(form.departments.data),
        "branding": {"primary_color": form.primary_color.data.lower(),
                     "accent_color": form.accent_color.data.lower(),
                     "logo_text": form.logo_text.data.strip()},
        "regulations": {"version": form.regulations_version.data.strip(),
                        "title": form.regulations_title.data.strip(),
                        "text": form.regulations_text.data},
    }
    if form.nip.data:
        data["tax_ids"] = {"nip": form.nip.data.strip()}
    return data


def parse_departments(text: str) -> list[dict]:
    departments = []
    for line in (text or "").splitlines():
        key, sep, name = line.partition(":")
        if line.strip():
            departments.append({"key": key.strip(), "name": name.strip() if sep else ""})
    return departments


def policy_source(form: TenantForm) -> str:
    """Uploaded file, else the edited text, else a one-line policy extending the preset."""
    upload = form.policy_file.data
    if upload:
        return upload.read().decode("utf-8", errors="replace")
    if (form.policy_source.data or "").strip():
        return form.policy_source.data
    return f"extends: {form.policy_preset.data}\n"
