"""What a module's YAML may not hold although YAML allows it: aliases that expand a few lines
into billions of values (the "billion laughs"), an alias inside its own value, a field written
twice in one place (YAML keeps the last silently), values the
YAML library cannot make (`2025-13-45` is read as a date and ends in a ValueError, not in a
YAML error) and control characters (`"\\0"` is a valid YAML escape; PostgreSQL stores no NUL).

Each check walks the composed node tree, where the line numbers are, without recursion: a
deeply nested file must not end in a RecursionError either."""

from collections.abc import Iterator

import yaml

from trainer.inputs import has_control_characters

# Far above any real module (the judges' module has ~12,000 nodes), far below a hang.
MAX_EXPANDED_NODES = 1_000_000
TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
BINARY_TAG = "tag:yaml.org,2002:binary"
INT_TAG = "tag:yaml.org,2002:int"
FLOAT_TAG = "tag:yaml.org,2002:float"


class SelfReference(Exception):
    """An alias used inside the value it names: the data would have no end."""


def children(node) -> list:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def expanded_size(root) -> int:
    """How many nodes the document has once every alias is replaced by its value."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack = [(root, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        if finished:
            open_nodes.discard(key)
            sizes[key] = 1 + sum(sizes[id(child)] for child in children(node))
            continue
        if key in sizes:
            continue
        open_nodes.add(key)
        stack.append((node, True))
        for child in children(node):
            if id(child) in open_nodes:
                raise SelfReference
            if id(child) not in sizes:
                stack.append((child, False))
    return sizes[id(root)]


def nodes(root, kind: type = yaml.Node) -> Iterator[tuple[list, yaml.Node]]:
    """(field path, node) of each distinct node of `kind`, in document order, keys included
    (under their mapping's path); an alias is visited once."""
    seen: set[int] = set()
    stack: list[tuple[list, yaml.Node]] = [([], root)]
    while stack:
        loc, node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, kind):
            yield loc, node
        if isinstance(node, yaml.MappingNode):
            for key, value in reversed(node.value):
                stack.append(([*loc, key.value], value))
                stack.append((loc, key))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(([*loc, i], item) for i, item in reversed(list(enumerate(node.value))))


def alias_problem(root) -> str | None:
    try:
        size = expanded_size(root)
    except SelfReference:
        return "an alias (*name) is used inside the value it names; write the data out instead"
    if size > MAX_EXPANDED_NODES:
        return (
            f"aliases (*name) expand to {size:,} values, more than {MAX_EXPANDED_NODES:,}; "
            "write the data out instead of nesting aliases"
        )
    return None


def unreadable_scalars(root) -> Iterator[tuple[list, yaml.ScalarNode]]:
    """Scalars the YAML library fails to make a value of, with a Python error rather than a
    YAML one: a date that is no real day, or a tagged value such as `!!int x`."""
    for loc, node in nodes(root, yaml.ScalarNode):
        try:
            yaml.constructor.SafeConstructor().construct_object(node)
        except (ValueError, AttributeError, KeyError, TypeError):
            yield loc, node


def base_60_numbers(root) -> Iterator[tuple[list, yaml.ScalarNode, int | float]]:
    """Plain scalars YAML 1.1 reads as numbers in base 60: `45:00` is 2700, `22:10` is 1330.
    In a number field the author meant something else; in a text, a time of day."""
    for loc, node in nodes(root, yaml.ScalarNode):
        if node.tag in (INT_TAG, FLOAT_TAG) and ":" in node.value:
            yield loc, node, yaml.constructor.SafeConstructor().construct_object(node)


def control_characters(root) -> Iterator[tuple[list, yaml.ScalarNode]]:
    """Scalars holding control characters, or binary data (`!!binary`, which a text field
    would take as the characters of its bytes)."""
    for loc, node in nodes(root, yaml.ScalarNode):
        if node.tag == BINARY_TAG or has_control_characters(node.value):
            yield loc, node


def repeated_keys(root) -> Iterator[tuple[list, yaml.ScalarNode, int]]:
    """(field path, the later key, the line of the first) for each key written twice in one
    mapping: YAML keeps the last value without a word, so the first is lost unseen."""
    for loc, node in nodes(root, yaml.MappingNode):
        first: dict[str, int] = {}
        for key, _value in node.value:
            if not isinstance(key, yaml.ScalarNode) or key.value == "<<":
                continue
            if key.value in first:
                yield [*loc, key.value], key, first[key.value]
            else:
                first[key.value] = key.start_mark.line + 1


def comments_after_texts(root, text: str, keys) -> Iterator[tuple[list, yaml.ScalarNode, str]]:
    """(field path, node, comment) of each unquoted text under one of `keys` (ru, en) that a
    comment follows on its line: `en: Call #1 of the night` is the text "Call" to YAML."""
    lines = text.splitlines()
    for loc, node in nodes(root, yaml.ScalarNode):
        if node.style or not loc or loc[-1] not in keys:  # quoted or block (libyaml: "" is plain)
            continue
        end = node.end_mark
        rest = lines[end.line][end.column :] if end.line < len(lines) else ""
        if rest.lstrip().startswith("#"):
            yield loc, node, rest.strip()
