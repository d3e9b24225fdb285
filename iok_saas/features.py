"""The feature registry: every folder under ``iok_saas/modules`` declares itself once.

A feature's ``feature.py`` holds ``FEATURE = Feature(...)``: its blueprints, resident tabs and
staff desks, models, demo seeder, section of the resident's personal-data export, Celery
tasks and beat entries, CLI group and app hooks. The app factory, the navigation, the demo
loader, the export, Celery and the model metadata read the registry; nothing else keeps a
list of features, so a new feature touches only its own folder (plus its migration).

References inside a declaration are strings (``".blueprint:bp"``, relative to the feature's
package) resolved when the app is built: declaring a feature imports nothing heavy, so
every ``feature.py`` can be read without import cycles.
"""

from __future__ import annotations

import pkgutil
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any

from .policy.schema import forget_tabs, register_tabs

TENANT_SITE = "tenant"
ADMIN_SITE = "admin"
ANY_SITE = "any"
MODULES_PACKAGE = "iok_saas.modules"


@dataclass(frozen=True)
class Mount:
    """A blueprint and where it is served: a tenant's site, the admin host, or both."""

    blueprint: str
    url_prefix: str | None = None
    site: str = TENANT_SITE


@dataclass(frozen=True)
class Tab:
    """A resident tab or staff desk shown when the tenant's policy shows ``key``.

    ``key`` is a policy tab name; a desk whose key is ``always`` is shown to every tenant,
    one whose key is a dotted policy switch (``enrolment.activation_codes.enabled``) where
    that switch is on."""

    key: str
    endpoint: str
    label: Any  # a lazy string: translated when the navigation is rendered
    order: int = 100


ALWAYS = "always"


@dataclass(frozen=True)
class HomePanel:
    """A panel of the resident's Home page, shown where the policy lists ``key`` under
    ``home``: ``data`` (".services:panel", called as data(person_id, units)) feeds
    ``template``, which the Home page includes with ``data`` and ``tab`` in its context."""

    key: str
    template: str
    data: str | None = None


@dataclass(frozen=True)
class Feature:
    """One feature's declaration; see the module docstring. Every reference is optional."""

    name: str
    mounts: tuple[Mount, ...] = ()
    tabs: tuple[Tab, ...] = ()
    desks: tuple[Tab, ...] = ()
    # Policy tab names this feature brings to the policy language (checked by `policy check`).
    tab_keys: tuple[str, ...] = ()
    home_panels: tuple[HomePanel, ...] = ()
    models: str | None = None          # ".models": imported so the metadata sees its tables
    demo: str | None = None            # ".demo:seed_demo", called as seed(today) per tenant
    demo_order: int = 50               # lower seeds first (the import's data comes first)
    personal_data: str | None = None   # ".export:section", see iok_saas.modules.contact.export
    writes_housing: bool = False       # writes associations/units/titles (the units memo)
    tasks: str | None = None           # ".tasks": a worker registers its Celery tasks
    beat: Mapping[str, dict] = field(default_factory=dict)
    cli: str | None = None             # ".cli:group", a `flask <group>` command group
    setup: str | None = None           # ".hooks:setup", called as setup(app) for app hooks
    work_queues: str | None = None     # ".services:work_queues", () -> list[WorkQueue]
    package: str = ""                  # filled in by the registry

    def resolve(self, reference: str) -> Any:
        """``".module:attr"`` (relative to the feature) -> the object; ``".module"`` -> module."""
        module_name, _, attribute = reference.partition(":")
        module = import_module(module_name, self.package) if module_name.startswith(".") \
            else import_module(module_name)
        return getattr(module, attribute) if attribute else module

    def optional(self, reference: str | None) -> Any:
        return self.resolve(reference) if reference else None


@dataclass(frozen=True)
class ExportSection:
    """A feature's part of the resident's personal-data export (GDPR art. 15).

    ``rows`` are JSON-ready dicts (iok_saas.modules.contact.export renders them as JSON and
    PDF); ``labels`` name the columns, ``vocabularies`` turn stored codes into words, and
    ``audit_subjects`` are the (subject_type, ids) whose audit events belong in the export."""

    key: str
    label: Any
    rows: list[dict]
    labels: Mapping[str, Any] = field(default_factory=dict)
    vocabularies: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    money_columns: frozenset[str] = frozenset()
    audit_subjects: tuple[tuple[str, tuple[int, ...]], ...] = ()
    order: int = 50  # where the section stands in the PDF


@dataclass(frozen=True)
class WorkQueue:
    """One line of the staff start page: what waits, how many, since when, and where."""

    label: Any
    count: int
    oldest: Any  # an aware datetime of the oldest waiting item, or None
    endpoint: str
    department: str | None = None  # the department key that decides these, if one does
    args: Mapping[str, str] = field(default_factory=dict)  # query string of the link


class Registry:
    """The features of this platform, in a stable order (by name)."""

    def __init__(self) -> None:
        self._features: dict[str, Feature] = {}
        self.discovered = False

    def register(self, feature: Feature, package: str) -> Feature:
        if feature.name in self._features and self._features[feature.name].package != package:
            raise ValueError(f"two features are called {feature.name!r}")
        declared = Feature(**{**feature.__dict__, "package": package})
        self._features[feature.name] = declared
        register_tabs(declared.tab_keys)
        return declared

    def unregister(self, name: str) -> None:
        feature = self._features.pop(name, None)
        if feature is not None:
            forget_tabs(feature.tab_keys)

    def discover(self, package: str = MODULES_PACKAGE) -> None:
        """Register the ``FEATURE`` of every ``<package>.<name>.feature`` module."""
        parent = import_module(package)
        for info in pkgutil.iter_modules(parent.__path__):
            if not info.ispkg:
                continue
            try:
                declaration = import_module(f"{package}.{info.name}.feature")
            except ModuleNotFoundError as missing:
                if missing.name != f"{package}.{info.name}.feature":
                    raise
                continue
            self.register(declaration.FEATURE, f"{package}.{info.name}")

    def __iter__(self) -> Iterator[Feature]:
        return iter(sorted(self._features.values(), key=lambda f: f.name))

    def get(self, name: str) -> Feature:
        return self._features[name]

    def each(self, attribute: str) -> Iterator[tuple[Feature, Any]]:
        """(feature, resolved reference) for every feature that declares ``attribute``."""
        for feature in self:
            reference = getattr(feature, attribute)
            if reference:
                yield feature, feature.resolve(reference)

    def collect(self, attribute: str) -> list:
        """Every feature's tuple ``attribute`` (tabs, desks, mounts…), concatenated."""
        return [item for feature in self for item in getattr(feature, attribute)]


features = Registry()


def load_features() -> Registry:
    """The registry with every feature under ``iok_saas.modules`` declared (idempotent);
    the tab names features bring join the policy language."""
    if not features.discovered:
        features.discover()
        features.discovered = True
    return features


def load_models() -> None:
    """Import every feature's models, so the metadata (and Alembic) sees every table."""
    for _feature, _module in load_features().each("models"):
        pass
