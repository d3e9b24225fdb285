from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, logout_user
from wtforms import SelectChoice

from iok_saas.extensions import limiter
from iok_saas.modules.accounts.labels import STATE_LABELS as ACCOUNT_STATES
from iok_saas.modules.auth.guards import operators_only
from iok_saas.modules.mfa.flow import after_password
from iok_saas.modules.staff.services import StaffError, create_first_admin
from iok_saas.modules.tenants import services as tenants
from iok_saas.modules.tenants.manifest import ManifestError, manifest_from_form
from iok_saas.tenancy import directory, site_url
from iok_saas.timeutil import utcnow

from . import onboarding, overview, services
from . import problems as texts
from .forms import FirstAdminForm, LoginForm, RollbackForm, StatusForm, TenantForm

bp = Blueprint("operator", __name__, template_folder="templates")
NEW_ADMIN_KEY = "operator_new_admin"  # the first administrator's one-time password, once
bp.before_request(operators_only)


@bp.context_processor
def _tenant_links() -> dict:
    """``site_link(host)``: a tenant's start page on that host, with the public port the
    demo serves on (IOK_PUBLIC_PORT), never the admin request's own host or port."""
    return {"site_link": lambda host: site_url(host, "site.start"),
            "event_labels": EVENT_LABELS, "now": utcnow()}


# Each platform event in the console's words (the event tables and the policy history; the
# first three are services.POLICY_ACTIONS). An action without a label shows its code.
EVENT_LABELS = {
    "tenant.create": _l("dodanie spółdzielni"),
    "tenant.update": _l("synchronizacja z plików"),
    "tenant.policy": _l("zmiana polityki w konsoli"),
    "tenant.suspend": _l("zawieszenie serwisu"),
    "tenant.resume": _l("wznowienie serwisu"),
    "tenant.export": _l("eksport danych"),
    "tenant.restore": _l("przywrócenie z archiwum"),
    "tenant.deletion_scheduled": _l("zaplanowanie usunięcia"),
    "tenant.deletion_cancelled": _l("odwołanie usunięcia"),
    "tenant.purge": _l("usunięcie danych"),
    "staff.create_admin": _l("utworzenie administratora spółdzielni"),
    "operator.create": _l("dodanie operatora"),
    "second_factor.enrol": _l("włączenie drugiego składnika"),
    "second_factor.recovery_codes": _l("nowe kody zapasowe"),
    "second_factor.forget_devices": _l("zapomnienie zaufanych urządzeń"),
    "second_factor.disable": _l("wyłączenie drugiego składnika"),
    "passkey.register": _l("dodanie klucza dostępu"),
    "passkey.second_step": _l("logowanie kluczem dostępu"),
    "passkey.remove": _l("usunięcie klucza dostępu"),
}


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10/minute", methods=["POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        operator = services.authenticate(form.email.data, form.password.data)
        if operator is not None:
            return after_password(operator, url_for("operator.index"))
        flash(_("Nieprawidłowy e-mail lub hasło."), "error")
    return render_template("operator/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    services.end_sessions(current_user._get_current_object())
    logout_user()
    session.clear()
    return redirect(url_for("operator.login"))


@bp.get("/")
def index():
    """The platform overview: one row of figures per tenant, sorted by any column."""
    rows, column, direction = overview.sort_figures(
        overview.platform_overview(list(directory().all())),
        request.args.get("sort"), request.args.get("dir"))
    return render_template("operator/index.html", rows=rows, sort=column, direction=direction,
                           window_days=overview.WINDOW.days)


@bp.route("/tenants/new", methods=["GET", "POST"])
def new_tenant():
    """The guided onboarding form: each step's "Sprawdź" re-renders with the problems of the
    steps so far (in Polish, beside their fields); "Utwórz" checks everything and creates."""
    form = TenantForm()
    onboarding.prepare(form, tenants.presets())
    if request.method == "GET":
        onboarding.offer_starter_rows(form)
        text = onboarding.policy_text(form)
        form.policy_source.data = form.policy_generated.data = text.text
        return render_template("operator/tenant_form.html", form=form, report=None,
                               checked=None, policy_edited=False)
    checked = request.form.get("check", "")
    checked = checked if checked in onboarding.STEPS else None
    adding = "add_department" in request.form
    valid_fields = form.validate_on_submit()
    report = onboarding.Report()
    onboarding.add_form_errors(form, report)
    text = onboarding.policy_text(form)
    manifest = None
    try:
        manifest = manifest_from_form(onboarding.manifest_data(form))
    except ManifestError as exc:
        onboarding.add_manifest_problems(form, report, exc.problems)
    if manifest is not None:
        problems = tenants.new_tenant_problems(manifest, text.text)
    else:  # names and hosts are checked all the same, as far as they are readable
        slug = form.slug.data if form.slug.data and not form.slug.errors else None
        hosts = () if form.hosts.errors else tuple(onboarding.manifest_data(form)["hosts"])
        keys = {d["key"] for _i, d in onboarding.department_rows(form) if d["key"]}
        problems = tenants.new_name_problems(slug, hosts)
        problems += tenants.coded_policy_problems(text.text, slug or "nowa", keys)[1]
    onboarding.add_tenant_problems(form, report, problems)
    if not (checked or adding) and valid_fields and manifest is not None and not report:
        try:
            tenant = tenants.create_tenant(manifest, text.text, services.actor_of(current_user))
        except tenants.TenantChangeError as exc:  # a race with another operator
            onboarding.add_tenant_problems(form, report, exc.problems)
        else:
            flash(_("Dodano %(name)s.", name=tenant.short_name), "success")
            return redirect(url_for("operator.tenant", slug=tenant.slug))
    if adding:
        onboarding.add_department_row(form)
        onboarding.clear_errors_after(form, None)
    elif checked:
        onboarding.clear_errors_after(form, checked)
    shown = report.upto(checked) if checked else (None if adding else report)
    form.policy_source.data = text.text
    form.policy_generated.data = text.generated
    status = 422 if shown else 200
    return render_template("operator/tenant_form.html", form=form, report=shown,
                           checked=checked, policy_edited=text.edited), status


@bp.get("/tenants/<slug>")
def tenant(slug: str):
    revealed = services.opened_reveal(session.get(NEW_ADMIN_KEY))
    if revealed is None or revealed["slug"] == slug:   # shown once, on its tenant's page only
        session.pop(NEW_ADMIN_KEY, None)
    else:
        revealed = None
    return _tenant_page(slug, new_admin=revealed)


def _in_polish(exc: tenants.TenantChangeError) -> list[texts.Shown]:
    return [texts.tenant_problem(problem) for problem in exc.problems]


def _tenant_page(slug: str, problems: list | None = None, policy_text: str | None = None,
                 admin_form: FirstAdminForm | None = None, new_admin=None, status=200):
    record = _tenant_or_404(slug)
    snapshot = directory().get(record.id)
    admin_form = admin_form or _first_admin_form(snapshot)
    return render_template(
        "operator/tenant.html", record=record, snapshot=snapshot, problems=problems or [],
        current_errors=[texts.policy_message(line) for line in snapshot.policy_errors],
        policy_text=policy_text if policy_text is not None else record.policy_source,
        status_form=StatusForm(), admin_form=admin_form, new_admin=new_admin,
        events=services.recent_events(record.id, limit=50),
        figures=overview.tenant_overview(snapshot), window_days=overview.WINDOW.days,
        account_states=ACCOUNT_STATES,
    ), status


def _tenant_or_404(slug: str):
    try:
        return tenants.get_tenant(slug)
    except tenants.TenantChangeError:
        abort(404)


def _first_admin_form(snapshot) -> FirstAdminForm:
    form = FirstAdminForm()
    form.department.choices = [SelectChoice(d["key"], d.get("name") or d["key"])
                               for d in snapshot.info("departments", [])]
    return form


@bp.post("/tenants/<slug>/policy")
def update_policy(slug: str):
    text = request.form.get("policy_source", "")
    try:
        tenants.update_policy(slug, text, services.actor_of(current_user))
    except tenants.TenantChangeError as exc:
        return _tenant_page(slug, problems=_in_polish(exc), policy_text=text, status=422)
    flash(_("Polityka zapisana i obowiązuje od teraz."), "success")
    return redirect(url_for("operator.tenant", slug=slug))


@bp.get("/tenants/<slug>/policy/versions")
def policy_history(slug: str):
    record = _tenant_or_404(slug)
    versions = services.policy_versions(record)
    return render_template("operator/policy_history.html", record=record,
                           versions=list(reversed(versions)))


@bp.get("/tenants/<slug>/policy/versions/<int:event_id>")
def policy_version(slug: str, event_id: int):
    return _version_page(slug, event_id, RollbackForm())


def _version_page(slug: str, event_id: int, form: RollbackForm,
                  problems: list | None = None, status: int = 200):
    record = _tenant_or_404(slug)
    versions = services.policy_versions(record)
    index = next((i for i, v in enumerate(versions) if v.event_id == event_id), None)
    if index is None:
        abort(404)  # no such event, another tenant's, or one that set no policy text
    version, current = versions[index], versions[-1]
    label = _("wersja %(n)s", n=version.number)
    previous = versions[index - 1] if index else None
    return render_template(
        "operator/policy_version.html", record=record, version=version, current=current,
        previous=previous, form=form, problems=problems or [],
        against_previous=services.policy_diff(
            previous.source, version.source, _("wersja %(n)s", n=previous.number), label)
        if previous else [],
        against_current=services.policy_diff(
            version.source, current.source, label, _("obowiązująca (wersja %(n)s)",
                                                     n=current.number)),
    ), status


@bp.post("/tenants/<slug>/policy/versions/<int:event_id>/restore")
def restore_policy(slug: str, event_id: int):
    record = _tenant_or_404(slug)
    version = next((v for v in services.policy_versions(record) if v.event_id == event_id),
                   None)
    if version is None:
        abort(404)
    form = RollbackForm()
    if not form.validate_on_submit():
        return _version_page(slug, event_id, form, status=422)
    if version.source == record.policy_source:
        flash(_("Ta wersja już obowiązuje — nic nie zmieniono."), "info")
        return redirect(url_for("operator.policy_history", slug=slug))
    try:
        tenants.update_policy(slug, version.source, services.actor_of(current_user))
    except tenants.TenantChangeError as exc:
        return _version_page(slug, event_id, form, problems=_in_polish(exc), status=422)
    flash(_("Przywrócono wersję %(n)s polityki; obowiązuje od teraz.", n=version.number),
          "success")
    return redirect(url_for("operator.policy_history", slug=slug))


@bp.post("/tenants/<slug>/status/<action>")
def change_status(slug: str, action: str):
    if action not in ("suspend", "resume"):
        abort(404)
    form = StatusForm()
    if not form.validate_on_submit():
        flash(_("Podaj powód zmiany."), "error")
        return redirect(url_for("operator.tenant", slug=slug))
    status = tenants.SUSPENDED if action == "suspend" else tenants.ACTIVE
    try:
        tenants.set_status(slug, status, services.actor_of(current_user), form.reason.data)
    except tenants.TenantChangeError as exc:
        for shown in _in_polish(exc):
            flash(shown.text, "error")
        return redirect(url_for("operator.tenant", slug=slug))
    flash(_("Zawieszono serwis.") if action == "suspend" else _("Przywrócono serwis."), "success")
    return redirect(url_for("operator.tenant", slug=slug))


@bp.post("/tenants/<slug>/first-admin")
def first_admin(slug: str):
    record = _tenant_or_404(slug)
    form = _first_admin_form(directory().get(record.id))
    if not form.validate_on_submit():
        return _tenant_page(slug, admin_form=form, status=422)
    try:
        member, password = create_first_admin(
            directory().get(record.id), form.login.data, form.full_name.data, form.email.data,
            form.department.data, services.actor_of(current_user))
    except StaffError as exc:
        getattr(form, exc.field).errors.append(str(exc))
        return _tenant_page(slug, admin_form=form, status=422)
    # Shown once by the page the browser is sent to (no POST URL left in the address bar),
    # encrypted in the session until then; that page takes it out again.
    session[NEW_ADMIN_KEY] = services.seal_for_reveal(
        {"slug": slug, "login": member.login, "password": password})
    return redirect(url_for("operator.tenant", slug=slug))


@bp.get("/audit")
def audit():
    return render_template("operator/audit.html", events=services.recent_events(limit=300))
