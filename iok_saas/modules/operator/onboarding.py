"""Between the onboarding form and a tenant: the form's fields in the manifest's shape, the
policy questions' answers as a policy that ``extends:`` the chosen preset, and the problems
of either attached to the form's steps and fields in Polish.

Nothing is validated here; ``manifest_from_form`` checks with the manifest schema and
``tenants.new_tenant_problems`` with the policy checker."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from iok_saas.features import features
from iok_saas.policy import known_tabs
from iok_saas.yamlsource import KeyPath

from . import problems as texts
from .forms import TenantForm

STEPS = ("identity", "contact", "departments", "branding", "regulations", "policy")
"""The form's steps, in order (the ids of its fieldsets)."""

DEPARTMENT_PARTS = ("key", "name", "room", "phone", "email")

# Filing step of each channel of application (policies/README.md, `enrolment`).
FILING_STEPS = (("electronic", "electronic_form"), ("paper", "paper_application"),
                ("email_scan", "paper_application"), ("in_person", "in_person_request"))

STARTER_DEPARTMENTS = (
    {"key": "customer_service", "name": "Biuro Obsługi Mieszkańców"},
    {"key": "finance", "name": "Dział Finansowy"},
    {"key": "technical", "name": "Dział Techniczny"},
    {"key": "board", "name": "Zarząd"},
)
"""Rows offered on an empty form: the departments the shipped presets name."""

DEFAULT_PRESET = "preset-application-pickup"
# The shipped presets in the operator's words, offered first; another policy file on disk
# (a cooperative's) is offered by its own description. Each shows its file name beside:
# the policy the form writes names it after `extends:`.
PRESET_LABELS = {
    "preset-application-pickup": _l("Mieszkańcy składają wnioski, biuro je sprawdza, dane "
                                    "logowania odbiera się osobiście"),
    "preset-manager-created": _l("Konta zakłada zarządca, mieszkańcy nie składają wniosków"),
    "base": _l("Ustawienia domyślne platformy, bez zasad żadnej spółdzielni"),
}


def _text(value) -> str:
    return (value or "").strip() if isinstance(value, str | type(None)) else str(value)


# --- the form's choices -------------------------------------------------------------------

def _preset_label(name: str, description: str | None) -> str:
    if name in PRESET_LABELS:
        return f"{PRESET_LABELS[name]} ({name})"
    if description:
        return _("Zasady jak w: %(description)s", description=description) + f" ({name})"
    return name


def prepare(form: TenantForm, presets: dict[str, str | None]) -> None:
    """Choices that depend on the app: presets on disk, the tabs the features bring."""
    shipped = [name for name in PRESET_LABELS if name in presets]
    others = sorted((_preset_label(name, text), name) for name, text in presets.items()
                    if name not in PRESET_LABELS)
    form.policy_preset.choices = [(name, _preset_label(name, None)) for name in shipped] + \
        [(name, label) for label, name in others]
    if not form.policy_preset.data or form.policy_preset.data == "None":
        form.policy_preset.data = DEFAULT_PRESET if DEFAULT_PRESET in presets \
            else next(iter(presets))
    labels = {tab.key: str(tab.label) for tab in features.collect("tabs")}
    form.tabs.choices = [(key, labels.get(key, key)) for key in known_tabs() if key != "home"]


def offer_starter_rows(form: TenantForm) -> None:
    """A new form: the presets' departments filled in, and one empty row."""
    while form.departments.entries:
        form.departments.pop_entry()
    for department in (*STARTER_DEPARTMENTS, {}):
        form.departments.append_entry(department)


def add_department_row(form: TenantForm) -> None:
    if len(form.departments.entries) < (form.departments.max_entries or 30):
        form.departments.append_entry({})


# --- manifest -----------------------------------------------------------------------------

def department_rows(form: TenantForm) -> list[tuple[int, dict]]:
    """(row index, department) for every row with something typed in it."""
    rows = []
    for index, entry in enumerate(form.departments.entries):
        department = {part: _text(entry.form[part].data) for part in DEPARTMENT_PARTS}
        if any(department.values()):
            rows.append((index, department))
    return rows


def manifest_data(form: TenantForm) -> dict:
    """The manifest the form describes, in the same shape as a tenants/<slug>.yaml file
    (empty inputs are dropped by ``manifest_from_form``, as a file would leave them out)."""
    contact: dict = {"email": _text(form.email.data), "website": _text(form.website.data),
                     "office_hours": _text(form.office_hours.data)}
    if _text(form.phone.data):
        contact["phones"] = [{"label": "Biuro", "number": _text(form.phone.data)}]
    if _text(form.emergency_phone.data):
        contact["emergency"] = {"label": "Pogotowie", "number": _text(form.emergency_phone.data)}
    data = {
        "slug": _text(form.slug.data),
        "short_name": _text(form.short_name.data),
        "legal_name": _text(form.legal_name.data),
        "kind": form.kind.data,
        "hosts": [h.strip().lower() for h in (form.hosts.data or "").split() if h.strip()],
        "policy": _text(form.slug.data),
        "locale": "pl",
        "address": {"street": _text(form.street.data),
                    "postal_code": _text(form.postal_code.data), "city": _text(form.city.data)},
        "contact": contact,
        "departments": [department for _index, department in department_rows(form)],
        "branding": {"primary_color": _text(form.primary_color.data),
                     "accent_color": _text(form.accent_color.data),
                     "logo_text": _text(form.logo_text.data)},
        "regulations": {"version": _text(form.regulations_version.data),
                        "title": _text(form.regulations_title.data),
                        "text": form.regulations_text.data or ""},
    }
    tax_ids = {"nip": _text(form.nip.data), "regon": _text(form.regon.data)}
    if any(tax_ids.values()):
        data["tax_ids"] = tax_ids
    return data


# --- policy from the answers --------------------------------------------------------------

def _merge(parent: dict, child: dict) -> dict:
    merged = dict(parent)
    for key, value in child.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def preset_data(name: str) -> dict:
    """The preset's keys merged along its ``extends`` chain (as the policy loader merges),
    or {} when it cannot be read: the policy checker reports that."""
    directory = Path(current_app.config["IOK_POLICIES_DIR"])
    chain: list[dict] = []
    seen: set[str] = set()
    while name and name not in seen:
        seen.add(name)
        try:
            data = yaml.safe_load((directory / f"{name}.yaml").read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            return {}
        if not isinstance(data, dict):
            return {}
        chain.append(data)
        name = data.get("extends") if isinstance(data.get("extends"), str) else None
    merged: dict = {}
    for data in reversed(chain):
        merged = _merge(merged, data)
    return merged


def _enrolment_steps(channels: list[str], in_person_pickup: bool) -> list[str]:
    steps: list[str] = []
    for channel, step in FILING_STEPS:
        if channel in channels and step not in steps:
            steps.append(step)
    if "electronic" in channels:
        steps.append("confirm_email")
    steps += ["staff_review", "notify_account_ready"]
    if in_person_pickup:
        steps.append("in_person_pickup")
    return steps


def chosen_preset(form: TenantForm) -> str:
    """The preset chosen, only ever one the form offers (never a path typed in)."""
    offered = [value for value, _label in form.policy_preset.choices]
    return form.policy_preset.data if form.policy_preset.data in offered else (
        DEFAULT_PRESET if DEFAULT_PRESET in offered else offered[0])


def _offered(field) -> set[str]:
    return {str(value) for value, *_rest in field.choices}


def _choice(field) -> str:
    """A select's answer, '' when it is none of the choices offered."""
    return field.data if isinstance(field.data, str) and field.data in _offered(field) else ""


def _choices(field) -> list[str]:
    """A multiple choice's answers that are among the choices offered, in the given order."""
    offered = _offered(field)
    return [value for value in (field.data or []) if value in offered]


def _number(field) -> int | None:
    """A whole-number answer within its range; None when unanswered or refused."""
    value = field.data
    if field.errors or not isinstance(value, int) or isinstance(value, bool):
        return None
    return value


def policy_answers(form: TenantForm) -> dict:
    """The policy keys the answered questions decide (unanswered ones stay the preset's).
    Only offered choices are used: a refused form still shows a policy, never a 500."""
    preset = preset_data(chosen_preset(form))
    answers: dict = {}
    enrolment = preset.get("enrolment") or {}
    initial = preset.get("initial_password") or {}
    delivery = _choice(form.delivery)
    channels = _choices(form.channels)
    if form.manager_creates.data:
        answers["enrolment"] = {"steps": ["manager_creates"], "channels": []}
    elif channels or delivery:
        channels = channels or list(enrolment.get("channels") or [])
        if channels:
            in_person = (delivery or initial.get("delivery")) != "printed_letter_by_post"
            answers["enrolment"] = {"steps": _enrolment_steps(channels, in_person),
                                    "channels": channels}
    if delivery:
        answers["initial_password"] = {"delivery": delivery}
    password: dict = {}
    if _number(form.password_min_length) is not None:
        password["min_length"] = _number(form.password_min_length)
    if _choice(form.password_classes):
        password["classes"] = {"at_least": int(_choice(form.password_classes))}
    if _number(form.password_history) is not None:
        password["history"] = _number(form.password_history)
    if password:
        answers["password"] = password
    if _choices(form.tabs):
        answers["tabs"] = _choices(form.tabs)
        answers["home"] = []
    if _number(form.block_threshold) is not None or _choice(form.block_lock):
        answers["blocking"] = {"rules": _blocking_rules(preset, _number(form.block_threshold),
                                                        _choice(form.block_lock))}
    if _choices(form.recovery_methods):
        answers["recovery"] = {"methods": _choices(form.recovery_methods)}
    return answers


def _blocking_rules(preset: dict, threshold: int | None, lock: str) -> list[dict]:
    """The preset's rules with its failed-logins rule changed (lists replace, not merge)."""
    rules = [dict(rule) for rule in ((preset.get("blocking") or {}).get("rules") or [])
             if isinstance(rule, dict)]
    failed = next((r for r in rules if r.get("trigger") == "failed_logins"), None)
    if failed is None:
        failed = {"trigger": "failed_logins", "threshold": 5, "within": "15m",
                  "lock_for": "30m"}
        rules.insert(0, failed)
    if threshold is not None:
        failed["threshold"] = threshold
    if lock:
        failed["lock_for"] = lock
    return rules


def answers_yaml(form: TenantForm) -> str:
    """The answers as a policy text: ``extends:`` the preset, then what was answered."""
    text = f"extends: {chosen_preset(form)}\n"
    answers = policy_answers(form)
    if answers:
        text += ("# Set by the onboarding questions; the rest comes from the preset.\n"
                 + yaml.safe_dump(answers, sort_keys=False, allow_unicode=True,
                                  default_flow_style=None, width=90))
    return text


def _normalised(text: str | None) -> str:
    return "\n".join(line.rstrip() for line in (text or "").strip().splitlines())


@dataclass
class PolicyText:
    text: str
    generated: str
    edited: bool
    uploaded: bool = False


def policy_text(form: TenantForm) -> PolicyText:
    """Uploaded file, else YAML the operator edited, else the answers' YAML."""
    generated = answers_yaml(form)
    upload = form.policy_file.data
    if upload and getattr(upload, "filename", ""):
        text = upload.read().decode("utf-8", errors="replace")
        return PolicyText(text, generated, edited=True, uploaded=True)
    typed = form.policy_source.data or ""
    if typed.strip() and _normalised(typed) != _normalised(form.policy_generated.data):
        return PolicyText(typed, generated, edited=True)
    return PolicyText(generated, generated, edited=False)


# --- problems on the form -----------------------------------------------------------------

@dataclass
class Report:
    """The problems of one check, by step: (field label or '', Polish text, details)."""

    by_step: dict[str, list[texts.Shown]] = field(default_factory=dict)

    def add(self, step: str, shown: texts.Shown) -> None:
        self.by_step.setdefault(step, []).append(shown)

    def upto(self, last: str) -> Report:
        """Only the problems of the steps up to ``last`` (a step checked on its own)."""
        kept = STEPS[: STEPS.index(last) + 1]
        return Report({s: p for s, p in self.by_step.items() if s in kept})

    def __bool__(self) -> bool:
        return any(self.by_step.values())

    def ordered(self) -> list[tuple[str, list[texts.Shown]]]:
        return [(step, self.by_step[step]) for step in STEPS if self.by_step.get(step)]


_FIELDS: dict[tuple[str, ...], tuple[str, str]] = {
    ("slug",): ("identity", "slug"), ("policy",): ("identity", "slug"),
    ("short_name",): ("identity", "short_name"), ("legal_name",): ("identity", "legal_name"),
    ("kind",): ("identity", "kind"), ("hosts",): ("identity", "hosts"),
    ("address", "street"): ("contact", "street"),
    ("address", "postal_code"): ("contact", "postal_code"),
    ("address", "city"): ("contact", "city"), ("address",): ("contact", "city"),
    ("contact",): ("contact", "email"), ("contact", "email"): ("contact", "email"),
    ("contact", "website"): ("contact", "website"),
    ("contact", "office_hours"): ("contact", "office_hours"),
    ("contact", "phones"): ("contact", "phone"),
    ("contact", "emergency"): ("contact", "emergency_phone"),
    ("tax_ids", "nip"): ("contact", "nip"), ("tax_ids", "regon"): ("contact", "regon"),
    ("branding", "primary_color"): ("branding", "primary_color"),
    ("branding", "accent_color"): ("branding", "accent_color"),
    ("branding", "logo_text"): ("branding", "logo_text"), ("branding",): ("branding", "logo_text"),
    ("regulations", "version"): ("regulations", "regulations_version"),
    ("regulations", "title"): ("regulations", "regulations_title"),
    ("regulations", "text"): ("regulations", "regulations_text"),
    ("regulations",): ("regulations", "regulations_text"),
}


def _manifest_field(form: TenantForm, path: KeyPath):
    """(step, bound field or None) a manifest key path stands for."""
    if path and path[0] == "departments":
        rows = department_rows(form)
        if len(path) >= 2 and isinstance(path[1], int) and path[1] < len(rows):
            entry = form.departments.entries[rows[path[1]][0]].form
            part = path[2] if len(path) >= 3 and path[2] in DEPARTMENT_PARTS else "key"
            return "departments", entry[part]
        return "departments", None
    names = tuple(p for p in path if isinstance(p, str))
    for end in range(len(names), 0, -1):
        found = _FIELDS.get(names[:end])
        if found:
            return found[0], form[found[1]]
    return "identity", None


def add_manifest_problems(form: TenantForm, report: Report,
                          problems: list[tuple[KeyPath, str]]) -> None:
    for path, message in problems:
        step, bound = _manifest_field(form, path)
        polish = texts.manifest_message(message)
        label = str(bound.label.text) if bound is not None else ""
        if bound is not None:
            bound.errors = [*bound.errors, polish]
            if step == "departments":
                label = _("Dział %(n)s, %(field)s", n=path[1] + 1, field=label.lower())
        report.add(step, texts.Shown(label, polish))


def add_tenant_problems(form: TenantForm, report: Report, problems) -> None:
    """Coded problems of ``tenants.new_tenant_problems``: names and hosts beside their
    fields, the policy's in the policy step."""
    for problem in problems:
        shown = texts.tenant_problem(problem)
        if problem.code in ("slug_reserved", "slug_taken"):
            form.slug.errors = [*form.slug.errors, shown.text]
            report.add("identity", shown._replace(label=str(form.slug.label.text)))
        elif problem.code in ("host_taken", "host_in_platform_domain"):
            form.hosts.errors = [*form.hosts.errors, shown.text]
            report.add("identity", shown._replace(label=str(form.hosts.label.text)))
        else:
            report.add("policy", shown)


def add_form_errors(form: TenantForm, report: Report) -> None:
    """Errors WTForms found itself (numbers out of range, unknown choices)."""
    for name, errors in form.errors.items():
        if name in ("csrf_token", "departments"):
            continue
        step = next((s for s, names in FORM_STEPS.items() if name in names), "policy")
        for error in errors if isinstance(errors, list) else []:
            report.add(step, texts.Shown(str(form[name].label.text), str(error)))


FORM_STEPS = {
    "identity": ("slug", "short_name", "legal_name", "kind", "hosts"),
    "contact": ("street", "postal_code", "city", "email", "website", "phone",
                "emergency_phone", "office_hours", "nip", "regon"),
    "branding": ("primary_color", "accent_color", "logo_text"),
    "regulations": ("regulations_version", "regulations_title", "regulations_text"),
}

POLICY_FIELDS = ("policy_preset", "manager_creates", "channels", "delivery",
                 "password_min_length", "password_classes", "password_history", "tabs",
                 "block_threshold", "block_lock", "recovery_methods", "policy_source",
                 "policy_file")


def clear_errors_after(form: TenantForm, last: str | None) -> None:
    """A step checked on its own shows nothing of the steps after it (None: of any step)."""
    later = STEPS[STEPS.index(last) + 1:] if last else STEPS
    for step in later:
        if step == "departments":
            for entry in form.departments.entries:
                for part in DEPARTMENT_PARTS:
                    entry.form[part].errors = []
            continue
        for name in POLICY_FIELDS if step == "policy" else FORM_STEPS[step]:
            form[name].errors = []
