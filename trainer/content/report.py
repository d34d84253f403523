"""How the validator reports a problem: file, line, field path and message."""

from dataclasses import dataclass

import yaml

LANGS = ("ru", "en")
LANG_NAMES = {"ru": "Russian", "en": "English"}


@dataclass(frozen=True)
class ContentError:
    file: str
    path: str
    message: str
    line: int | None = None
    warning: bool = False  # allowed, but probably not what the author meant

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        message = f"warning: {self.message}" if self.warning else self.message
        return f"{where}: {self.path}: {message}" if self.path else f"{where}: {message}"


def dotted(loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def child(node, part):
    """The node under `node` at one step of a field path (a key or an index), or None."""
    if isinstance(node, yaml.MappingNode) and isinstance(part, str):
        return next((v for k, v in node.value if k.value == part), None)
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        return node.value[part]
    return None


def source_of(nodes, loc) -> str | None:
    """A plain scalar's text as written, where YAML read it as something else than text
    (`No` as false, `22:10` as 1330): for a message that shows both."""
    node = nodes
    for part in loc:
        node = child(node, part)
    if isinstance(node, yaml.ScalarNode) and node.tag != "tag:yaml.org,2002:str":
        return node.value
    return None


def line_of(nodes, loc) -> int | None:
    """The 1-based line of the YAML node at `loc` (or of its nearest existing parent)."""
    node, line = nodes, None
    for part in loc:
        if node is None:
            break
        line = node.start_mark.line + 1
        node = child(node, part)
    if node is not None:
        line = node.start_mark.line + 1
    return line
