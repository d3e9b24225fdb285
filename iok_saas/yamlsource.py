"""YAML documents that remember where each key stood.

Declarative files (tenant manifests, policies) are written by people; when one is wrong the
message must name the file, the key path and the line. PyYAML's node tree carries the marks,
so we build plain Python data from it ourselves and keep a map of key path -> line.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

import yaml

KeyPath = tuple[str | int, ...]


class ConfigFileError(Exception):
    """A declarative file is unusable; ``messages`` are complete, human-readable lines."""

    def __init__(self, messages: list[str]):
        super().__init__("\n".join(messages))
        self.messages = list(messages)


@dataclass
class YamlDocument:
    source: str
    data: object
    lines: dict[KeyPath, int] = field(default_factory=dict)

    def line_of(self, path: KeyPath) -> int | None:
        """Line of the deepest existing prefix of ``path`` (a missing key points at its parent)."""
        for end in range(len(path), 0, -1):
            line = self.lines.get(tuple(path[:end]))
            if line is not None:
                return line
        return None

    def error(self, path: KeyPath, message: str) -> str:
        return format_message(self.source, path, message, self.line_of(path))


def format_message(source: str, path: KeyPath, message: str, line: int | None = None) -> str:
    where = f"{source}:{line}" if line else source
    dotted = dotted_path(path)
    return f"{where}: {dotted}: {message}" if dotted else f"{where}: {message}"


def dotted_path(path: KeyPath) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def load_yaml(text: str, source: str) -> YamlDocument:
    """Parse one YAML document; syntax errors and duplicate keys raise ConfigFileError."""
    try:
        loader = yaml.SafeLoader(text)
    except yaml.reader.ReaderError as exc:  # a control character: refused before parsing
        line = text[:exc.position].count("\n") + 1 if isinstance(text, str) else None
        raise ConfigFileError([format_message(
            source, (), f"YAML error: character #x{exc.character:04x} is not allowed", line)]
        ) from None
    try:
        node = loader.get_single_node()
        doc = YamlDocument(source=source, data=None)
        if node is not None:
            doc.data = _build(loader, node, (), doc, set())
        return doc
    except RecursionError:  # the parser itself recurses once per nesting level
        raise ConfigFileError([format_message(
            source, (), f"nested deeper than {MAX_DEPTH} levels")]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise ConfigFileError(
            [format_message(source, (), f"YAML syntax error: {problem}", line)]
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigFileError([format_message(source, (), f"YAML error: {exc}")]) from None
    finally:
        loader.dispose()


# Declarative files are shallow; deeper input is refused before anything recurses over it.
MAX_DEPTH = 32


def _build(loader: yaml.SafeLoader, node: yaml.Node, path: KeyPath, doc: YamlDocument,
           collections: set[int]):
    if isinstance(node, yaml.MappingNode | yaml.SequenceNode):
        # An alias (*name) of a mapping or list is the same node met again: refused, so a
        # self-referencing alias cannot loop and "billion laughs" aliases cannot multiply.
        if id(node) in collections:
            raise ConfigFileError([format_message(
                doc.source, path, "anchors and aliases (&name, *name) of mappings or lists "
                "are not supported", node.start_mark.line + 1)])
        collections.add(id(node))
        if len(path) >= MAX_DEPTH:
            raise ConfigFileError([format_message(
                doc.source, path, f"nested deeper than {MAX_DEPTH} levels",
                node.start_mark.line + 1)])
    if isinstance(node, yaml.MappingNode):
        result: dict = {}
        for key_node, value_node in node.value:
            key = _construct(loader, key_node, path, doc)
            if not isinstance(key, str | int) or isinstance(key, bool):
                raise ConfigFileError([doc.error(path, f"keys must be text, not {key!r}")])
            key_path = (*path, key)
            line = key_node.start_mark.line + 1
            if key in result:
                raise ConfigFileError(
                    [format_message(doc.source, key_path, "key given twice", line)]
                )
            doc.lines[key_path] = line
            result[key] = _build(loader, value_node, key_path, doc, collections)
        return result
    if isinstance(node, yaml.SequenceNode):
        items = []
        for index, item_node in enumerate(node.value):
            doc.lines[(*path, index)] = item_node.start_mark.line + 1
            items.append(_build(loader, item_node, (*path, index), doc, collections))
        return items
    return _construct(loader, node, path, doc)


def _construct(loader: yaml.SafeLoader, node: yaml.Node, path: KeyPath, doc: YamlDocument):
    """A scalar's value; one YAML reads but Python cannot hold (a date such as 2025-02-30,
    an integer of thousands of digits) is an error of the file, not of the program."""
    try:
        return loader.construct_object(node, deep=True)
    except (ValueError, OverflowError) as exc:
        raise ConfigFileError([format_message(
            doc.source, path, f"cannot read the value {str(node.value)[:40]!r}: {exc}",
            node.start_mark.line + 1)]) from None


def flatten_errors(messages: object, path: KeyPath = ()) -> Iterator[tuple[KeyPath, str]]:
    """Turn marshmallow's nested ``ValidationError.messages`` into (key path, message) pairs."""
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            sub = path if key == "_schema" else (*path, _path_part(key))
            yield from flatten_errors(value, sub)
    elif isinstance(messages, list | tuple):
        for item in messages:
            yield from flatten_errors(item, path)
    else:
        yield path, str(messages)


def _path_part(key: object) -> str | int:
    return key if isinstance(key, int) else str(key)


def validation_messages(doc: YamlDocument, messages: object) -> list[str]:
    """marshmallow errors of ``doc`` rendered as 'file:line: key.path: message' lines."""
    return [doc.error(path, message) for path, message in flatten_errors(messages)]
