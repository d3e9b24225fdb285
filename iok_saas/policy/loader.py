"""Reading policy files: the ``extends`` chain, merging, validation and the check report.

1. Parse the file and follow ``extends`` to ``<presets_dir>/<name>.yaml``, recursively.
2. Validate every file of the chain on its own, with everything optional.
3. Merge the chain root first: mappings merge key by key, anything else in a child
   replaces the parent's value. Each merged key remembers the file that gave it.
4. Validate the merged data in full (required keys, cross-field checks); each error is
   reported against the file that gave the offending key.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path

from marshmallow import ValidationError, fields

from iok_saas.yamlsource import (
    ConfigFileError,
    KeyPath,
    YamlDocument,
    flatten_errors,
    format_message,
    load_yaml,
)

from .model import Policy, build_policy
from .schema import PRESET_NAME, PolicySchema

REQUIRED_MESSAGE = fields.Field.default_error_messages["required"]

Owners = dict[KeyPath, YamlDocument]


class PolicyError(ConfigFileError):
    """A policy cannot be used; ``messages`` are 'file:line: key.path: message' lines."""


@dataclass(frozen=True)
class CheckReport:
    """Outcome of checking files: ``lines`` holds per-file results, then notes."""

    ok: bool
    lines: list[str]


def display_path(path: Path) -> str:
    """``path`` relative to the working directory when it lies inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def load_policy_file(path: Path, presets_dir: Path | None = None) -> Policy:
    """Load and validate one policy file; presets are looked up next to it by default."""
    source = display_path(path)
    text = _read(path, source)
    return compile_policy(text, source, presets_dir if presets_dir is not None else path.parent)


def compile_policy(text: str, source: str, presets_dir: Path) -> Policy:
    """Validate policy ``text`` (named ``source`` in messages); raises PolicyError."""
    chain = _read_chain(text, source, Path(presets_dir))
    merged, owners = _merge_chain(chain)
    data = _validate_merged(merged, owners, chain)
    names = tuple(Path(doc.source).stem for doc in chain)
    return build_policy(names[-1], source, names, data)


def check_paths(paths: list[Path], presets_dir: Path) -> CheckReport:
    """Check every file: 'OK <file>' or its errors, then notes such as waivers."""
    lines: list[str] = []
    notes: list[str] = []
    failed = False
    for path in paths:
        try:
            policy = load_policy_file(path, presets_dir)
        except PolicyError as exc:
            lines.extend(exc.messages)
            failed = True
            continue
        lines.append(f"OK {policy.source}")
        notes.extend(f"note: {policy.source}: {waiver}" for waiver in policy.waivers)
    return CheckReport(ok=not failed, lines=lines + notes)


def _read(path: Path, source: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PolicyError([f"{source}: no such file"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError([f"{source}: cannot read the file ({exc})"]) from None


def _read_chain(text: str, source: str, presets_dir: Path) -> list[YamlDocument]:
    """The documents from the root preset down to ``source``; raises on any file's errors."""
    errors: list[str] = []
    seen = [Path(source).resolve()]
    chain: list[YamlDocument] = []
    doc = _parse(text, source, errors)
    while doc is not None:
        chain.insert(0, doc)
        doc = _parent(doc, presets_dir, seen, errors)
    if errors:
        raise PolicyError(errors)
    return chain


def _parse(text: str, source: str, errors: list[str]) -> YamlDocument | None:
    """Parse and validate one file on its own; None when there is nothing to merge."""
    try:
        doc = load_yaml(text, source)
    except ConfigFileError as exc:
        errors.extend(exc.messages)
        return None
    if not isinstance(doc.data, dict):
        errors.append(format_message(source, (), "a policy must be a mapping of settings"
                                     if doc.data is not None else "the file is empty", 1))
        return None
    try:
        PolicySchema().load(doc.data, partial=True)
    except ValidationError as exc:
        found = sorted(flatten_errors(exc.messages), key=lambda item: doc.line_of(item[0]) or 0)
        errors.extend(doc.error(path, message) for path, message in found)
    return doc


def _parent(doc: YamlDocument, presets_dir: Path, seen: list[Path],
            errors: list[str]) -> YamlDocument | None:
    name = doc.data.get("extends")
    if not isinstance(name, str) or not PRESET_NAME.fullmatch(name):
        return None  # absent, or already reported by the schema
    path = presets_dir / f"{name}.yaml"
    if path.resolve() in seen:
        cycle = " -> ".join([*(p.stem for p in seen), name])
        errors.append(doc.error(("extends",), f"extends chain loops: {cycle}"))
        return None
    if not path.is_file():
        errors.append(doc.error(("extends",), f"unknown preset {name!r}: "
                                f"there is no {display_path(path)}"))
        return None
    seen.append(path.resolve())
    try:
        return _parse(_read(path, display_path(path)), display_path(path), errors)
    except PolicyError as exc:
        errors.extend(exc.messages)
        return None


def _merge_chain(chain: list[YamlDocument]) -> tuple[dict, Owners]:
    merged: dict = {}
    owners: Owners = {}
    for doc in chain:
        settings = {key: value for key, value in doc.data.items() if key != "extends"}
        _merge_into(merged, settings, (), doc, owners)
    return merged, owners


def _merge_into(target: dict, overlay: dict, path: KeyPath, doc: YamlDocument,
                owners: Owners) -> None:
    for key, value in overlay.items():
        key_path = (*path, key)
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            owners[key_path] = doc
            _merge_into(target[key], value, key_path, doc, owners)
        else:
            target[key] = copy.deepcopy(value)
            _claim(owners, key_path, value, doc)


def _claim(owners: Owners, path: KeyPath, value: object, doc: YamlDocument) -> None:
    """Record ``doc`` as the owner of ``path`` and everything below it."""
    for stale in [p for p in owners if p[:len(path)] == path]:
        del owners[stale]
    owners[path] = doc
    children = (value.items() if isinstance(value, dict)
                else enumerate(value) if isinstance(value, list) else ())
    for key, child in children:
        _claim(owners, (*path, key), child, doc)


def _validate_merged(merged: dict, owners: Owners, chain: list[YamlDocument]) -> dict:
    try:
        return PolicySchema().load(merged)
    except ValidationError as exc:
        found = [_locate(path, message, owners, chain)
                 for path, message in flatten_errors(exc.messages)]
        found.sort(key=lambda item: (chain.index(item[0]), item[0].line_of(item[1]) or 0))
        raise PolicyError([doc.error(path, message) for doc, path, message in found]) from None


def _locate(path: KeyPath, message: str, owners: Owners,
            chain: list[YamlDocument]) -> tuple[YamlDocument, KeyPath, str]:
    """The file to blame for an error in the merged data, and the message to show."""
    if message == REQUIRED_MESSAGE:
        names = " -> ".join(Path(doc.source).stem for doc in chain)
        where = f" after merging extends chain {names}" if len(chain) > 1 else ""
        return chain[-1], path, f"required key is missing{where}"
    owner = next((owners[path[:end]] for end in range(len(path), 0, -1)
                  if path[:end] in owners), chain[-1])
    if owner is not chain[-1]:
        message = f"{message} (merged into {chain[-1].source})"
    return owner, path, message
