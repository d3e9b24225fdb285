"""Tenant manifests: one YAML file per cooperative in ``tenants/`` saying who it is.

A manifest holds identity (slug, hosts, names, policy reference) and the public profile shown
to residents (address, contacts, departments, branding, regulations). Behaviour lives in the
policy file the manifest names. The format is documented in ``tenants/README.md``.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from iok_saas.yamlsource import (
    ConfigFileError,
    KeyPath,
    YamlDocument,
    flatten_errors,
    load_yaml,
    validation_messages,
)

KINDS = ("association_manager", "housing_cooperative")
LOCALES = ("pl", "en")
IDENTITY_KEYS = ("slug", "short_name", "legal_name", "kind", "hosts", "policy", "locale")
WCAG_AA_TEXT_CONTRAST = 4.5

# The slug is also the tenant's subdomain, so it must be a DNS label itself.
SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]{0,38}[a-z0-9]$"
DNS_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
PHONE_PATTERN = r"^\+?[0-9][0-9 ()-]*[0-9](?: wew\. [0-9]+(?:, [0-9]+)*)?$"
NIP_WEIGHTS = (6, 5, 7, 2, 3, 4, 5, 6, 7)
REGON_WEIGHTS = {9: (8, 9, 2, 3, 4, 5, 6, 7), 14: (2, 4, 8, 5, 0, 9, 7, 3, 6, 1, 2, 4, 8)}


class ManifestError(ConfigFileError):
    """One or more manifests are unusable; each message names file, line and key path.

    ``problems`` holds the same as (key path, English message) pairs, without file or line,
    for a caller that shows them beside the fields of a form (in its own language)."""

    def __init__(self, messages: list[str],
                 problems: list[tuple[KeyPath, str]] | None = None):
        super().__init__(messages)
        self.problems = list(problems) if problems is not None else [((), m) for m in messages]


@dataclass(frozen=True)
class Manifest:
    slug: str
    short_name: str
    legal_name: str
    kind: str
    hosts: tuple[str, ...]
    policy: str
    locale: str
    # Everything else, as validated; plain JSON data so it can be stored and rendered as is.
    profile: dict = field(hash=False)

    def department_keys(self) -> set[str]:
        return {department["key"] for department in self.profile["departments"]}


# --- checks used by the schemas ----------------------------------------------------------


def host_problem(host: str) -> str | None:
    """Why ``host`` is not a bare, lower-case, fully qualified host name (None when it is)."""
    if "://" in host:
        return "give the bare host name, without a scheme such as https://"
    if "/" in host:
        return "give the bare host name, without a path"
    if ":" in host:
        return "give the host name without a port"
    if not host.isascii():
        return "write an international host name in its xn-- (punycode) form"
    if host != host.lower():
        return "host names must be lower-case"
    labels = host.split(".")
    if len(labels) < 2:
        return "give a fully qualified host name such as iok.example.pl"
    bad = next((label for label in labels if not DNS_LABEL.match(label)), None)
    if bad is not None:
        return f"{bad!r} is not a valid DNS label (1-63 of a-z, 0-9, '-', no '-' at either end)"
    if labels[-1].isdigit():
        return "give a host name, not an IP address"
    return None


def validate_host(host: str) -> None:
    problem = host_problem(host)
    if problem:
        raise ValidationError(problem)


def repeated_indices(values: list) -> list[int]:
    seen: set = set()
    repeats = []
    for index, value in enumerate(values):
        if value in seen:
            repeats.append(index)
        seen.add(value)
    return repeats


def unique_hosts(hosts: list[str]) -> None:
    repeats = repeated_indices(hosts)
    if repeats:
        raise ValidationError({i: [f"host {hosts[i]} is listed twice"] for i in repeats})


def unique_department_keys(departments: list[dict]) -> None:
    keys = [department["key"] for department in departments]
    repeats = repeated_indices(keys)
    if repeats:
        raise ValidationError(
            {i: {"key": [f"department key {keys[i]!r} is used twice"]} for i in repeats}
        )


def contrast_with_white(colour: str) -> float:
    """WCAG 2.1 contrast ratio of white text on ``colour`` (#rrggbb)."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return 1.05 / (luminance + 0.05)


def readable_on_white_text(colour: str) -> None:
    # Buttons and the header put white text on the primary colour; public bodies in Poland
    # are bound by WCAG 2.1 AA, so an unreadable brand colour is refused at load time.
    ratio = contrast_with_white(colour)
    if ratio < WCAG_AA_TEXT_CONTRAST:
        raise ValidationError(
            f"white text on {colour} has contrast {ratio:.2f}:1, below the WCAG AA 4.5:1; "
            "choose a darker colour"
        )


def nip_is_valid(digits: str) -> bool:
    # A weighted sum of 10 is never issued as a NIP, and it cannot equal a digit either.
    total = sum(int(d) * w for d, w in zip(digits[:-1], NIP_WEIGHTS, strict=True))
    return total % 11 == int(digits[-1])


def regon_is_valid(digits: str) -> bool:
    total = sum(int(d) * w for d, w in zip(digits[:-1], REGON_WEIGHTS[len(digits)], strict=True))
    return total % 11 % 10 == int(digits[-1])


# --- fields ----------------------------------------------------------------------------------


def text_field(max_length: int = 200, **kwargs) -> fields.String:
    return fields.String(validate=validate.Length(min=1, max=max_length), **kwargs)


def phone_field(**kwargs) -> fields.String:
    return fields.String(
        validate=validate.Regexp(
            PHONE_PATTERN, error='not a phone number like "77 416 42 58" or "58-629-00-16 wew. 326"'
        ),
        **kwargs,
    )


class HexColour(fields.String):
    def _deserialize(self, value, attr, data, **kwargs) -> str:
        colour = super()._deserialize(value, attr, data, **kwargs)
        if not re.fullmatch(r"#[0-9a-fA-F]{6}", colour):
            raise ValidationError(f'{colour!r} is not a colour like "#1d5c8c"')
        return colour.lower()


class RegistryNumber(fields.String):
    """A Polish NIP or REGON: spaces and dashes are dropped, length and check digit verified."""

    def __init__(
        self, *, label: str, lengths: tuple[int, ...], is_valid: Callable[[str], bool], **kwargs
    ):
        super().__init__(**kwargs)
        self.label, self.lengths, self.is_valid = label, lengths, is_valid

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        if isinstance(value, int) and not isinstance(value, bool):
            # Unquoted, YAML reads a number and a leading zero would be lost.
            raise ValidationError(f'write the {self.label} in quotes, e.g. "{value}"')
        digits = re.sub(r"[\s-]", "", super()._deserialize(value, attr, data, **kwargs))
        if not re.fullmatch(r"[0-9]+", digits) or len(digits) not in self.lengths:
            wanted = " or ".join(str(n) for n in self.lengths)
            raise ValidationError(f"a {self.label} has {wanted} digits")
        if not self.is_valid(digits):
            raise ValidationError(f"{self.label} {digits} has a wrong check digit (a typo?)")
        return digits


class VersionText(fields.String):
    def _deserialize(self, value, attr, data, **kwargs) -> str:
        # YAML reads an unquoted 2023-11-29 as a date; the version is text, so keep its ISO form.
        if isinstance(value, datetime.date):
            value = value.isoformat()
        return super()._deserialize(value, attr, data, **kwargs)


# --- schemas ---------------------------------------------------------------------------------


class StrictSchema(Schema):
    # Unknown keys are usually typos: name them rather than silently dropping them.
    error_messages = {
        "unknown": "unknown key (tenants/README.md lists the keys a manifest may have)"
    }

    class Meta:
        unknown = RAISE


class PhoneSchema(StrictSchema):
    label = text_field(80, required=True)
    number = phone_field(required=True)


class EmergencySchema(PhoneSchema):
    hours = text_field(80)


class ContactSchema(StrictSchema):
    email = fields.Email()
    website = fields.URL(schemes={"http", "https"})
    phones = fields.List(fields.Nested(PhoneSchema), load_default=list)
    fax = phone_field()
    emergency = fields.Nested(EmergencySchema)
    office_hours = text_field(300)

    @validates_schema
    def reachable(self, data: dict, **kwargs) -> None:
        if not (data.get("email") or data.get("phones") or data.get("website")):
            raise ValidationError("give at least one of email, phones or website")


class AddressSchema(StrictSchema):
    street = text_field(120)
    postal_code = fields.String(
        validate=validate.Regexp(r"^[0-9]{2}-[0-9]{3}$", error="not a postal code like 49-300")
    )
    city = text_field(80, required=True)


class TaxIdsSchema(StrictSchema):
    nip = RegistryNumber(label="NIP", lengths=(10,), is_valid=nip_is_valid)
    regon = RegistryNumber(label="REGON", lengths=(9, 14), is_valid=regon_is_valid)


class DepartmentSchema(StrictSchema):
    key = fields.String(
        required=True,
        validate=validate.Regexp(r"^[a-z_]{1,40}$", error="department keys are a-z and '_' only"),
    )
    name = text_field(120, required=True)
    phone = phone_field()
    room = text_field(40)
    email = fields.Email()


class BrandingSchema(StrictSchema):
    primary_color = HexColour(required=True, validate=readable_on_white_text)
    accent_color = HexColour(required=True)
    logo_text = text_field(6, required=True)


class RegulationsSchema(StrictSchema):
    version = VersionText(required=True, validate=validate.Length(min=1, max=40))
    title = text_field(200, load_default="Regulamin Internetowej Obsługi Kontrahenta (IOK)")
    text = text_field(50_000, required=True)


class ManifestSchema(StrictSchema):
    slug = fields.String(
        required=True,
        validate=validate.Regexp(
            SLUG_PATTERN,
            error="2-40 characters of a-z, 0-9 and '-', not starting or ending with '-' "
            "(the slug is also the subdomain)",
        ),
    )
    short_name = text_field(60, required=True)
    legal_name = text_field(200, required=True)
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    hosts = fields.List(
        fields.String(validate=validate_host), load_default=list, validate=unique_hosts
    )
    policy = fields.String(
        required=True,
        validate=validate.Regexp(
            r"^[a-z0-9][a-z0-9_-]*$", error="name a file in policies/ without .yaml"
        ),
    )
    locale = fields.String(load_default="pl", validate=validate.OneOf(LOCALES))
    address = fields.Nested(AddressSchema, required=True)
    contact = fields.Nested(ContactSchema, required=True)
    tax_ids = fields.Nested(TaxIdsSchema)
    departments = fields.List(
        fields.Nested(DepartmentSchema), load_default=list, validate=unique_department_keys
    )
    branding = fields.Nested(BrandingSchema, required=True)
    regulations = fields.Nested(RegulationsSchema, required=True)


# --- loading ---------------------------------------------------------------------------------


def load_manifest_text(text: str, source: str) -> Manifest:
    return _parse(text, source)[0]


def load_manifest(path: Path) -> Manifest:
    return _load_file(path)[0]


def manifest_from_form(data: dict) -> Manifest:
    return _validate(YamlDocument(source="form", data=_without_blanks(data)))


def _without_blanks(value):
    # A form sends an optional input left empty as ""; a file would leave the key out.
    if isinstance(value, dict):
        return {k: _without_blanks(v) for k, v in value.items() if v != ""}
    if isinstance(value, list):
        return [_without_blanks(item) for item in value]
    return value


def load_manifest_dir(directory: Path) -> list[Manifest]:
    """Every ``*.yaml`` in ``directory``, sorted; all files' problems are reported together."""
    if not directory.is_dir():
        raise ManifestError([f"{directory}: not a directory"])
    loaded, problems = [], []
    for path in sorted(directory.glob("*.yaml")):
        try:
            loaded.append(_load_file(path))
        except ManifestError as exc:
            problems.extend(exc.messages)
    problems.extend(_cross_file_problems(loaded))
    if problems:
        raise ManifestError(problems)
    return [manifest for manifest, _ in loaded]


def _load_file(path: Path) -> tuple[Manifest, YamlDocument]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestError([f"{path}: cannot read: {exc}"]) from None
    return _parse(text, str(path))


def _parse(text: str, source: str) -> tuple[Manifest, YamlDocument]:
    try:
        doc = load_yaml(text, source)
    except ConfigFileError as exc:
        raise ManifestError(exc.messages) from None
    return _validate(doc), doc


def _validate(doc: YamlDocument) -> Manifest:
    if not isinstance(doc.data, dict):
        raise ManifestError(
            [doc.error((), "a manifest is a mapping of keys such as slug: and hosts:")]
        )
    try:
        data = ManifestSchema().load(doc.data)
    except ValidationError as exc:
        raise ManifestError(validation_messages(doc, exc.messages),
                            list(flatten_errors(exc.messages))) from None
    identity = {key: data.pop(key) for key in IDENTITY_KEYS}
    identity["hosts"] = tuple(identity["hosts"])
    return Manifest(**identity, profile=data)


def _cross_file_problems(loaded: list[tuple[Manifest, YamlDocument]]) -> list[str]:
    """The file name is the slug (so two files cannot claim one tenant) and a host has one owner."""
    problems = []
    owners: dict[str, YamlDocument] = {}
    for manifest, doc in loaded:
        stem = Path(doc.source).stem
        if manifest.slug != stem:
            problems.append(
                doc.error(("slug",), f"slug {manifest.slug!r} must match the file name {stem}.yaml")
            )
        for index, host in enumerate(manifest.hosts):
            owner = owners.setdefault(host, doc)
            if owner is not doc:
                problems.append(
                    doc.error(("hosts", index), f"host {host} is already claimed by {owner.source}")
                )
    return problems
