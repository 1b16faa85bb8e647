"""One reader for the YAML files camsweep takes from people: signatures and lab inventories.

YAML is *composed* into nodes (``yaml.compose`` with the safe loader: nothing is constructed, and
every node keeps its line), after refusing what would make a small file expensive or ambiguous:
files over a size cap, non-UTF-8 bytes, anchors and aliases ("billion laughs"), tags other than
the plain scalar/list/mapping ones, trees deeper or larger than a cap. :class:`NodeReader` then
gives typed access to the nodes; every problem becomes a :class:`LintError`
``file:line: message (value)`` in a list, and nothing raises on bad input. The signature loader
reports all of them; the inventory reader stops at the first.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar
from urllib.parse import urlsplit

import yaml

from scanner.digits import ascii_decimal
from scanner.match.errors import LintError
from scanner.match.schema import Source

__all__ = [
    "MAX_DEPTH",
    "MAX_NODES",
    "MAX_TEXT",
    "NodeReader",
    "compose_yaml",
    "keys_of",
    "line_of",
    "show_node",
    "suggest",
]

T = TypeVar("T")

MAX_NODES = 200_000
MAX_DEPTH = 32
MAX_TEXT = 2000

STR_TAG = "tag:yaml.org,2002:str"
INT_TAG = "tag:yaml.org,2002:int"
FLOAT_TAG = "tag:yaml.org,2002:float"
BOOL_TAG = "tag:yaml.org,2002:bool"
NULL_TAG = "tag:yaml.org,2002:null"
SCALAR_TAGS = frozenset(
    {STR_TAG, INT_TAG, FLOAT_TAG, BOOL_TAG, NULL_TAG, "tag:yaml.org,2002:timestamp"}
)
SEQ_TAG = "tag:yaml.org,2002:seq"
MAP_TAG = "tag:yaml.org,2002:map"

# --- the node reader ----------------------------------------------------------------------------


def line_of(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def show_node(node: yaml.Node) -> str:
    if isinstance(node, yaml.ScalarNode):
        text = str(node.value)
        return text if len(text) <= 80 else text[:77] + "..."
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    return "a list"


def suggest(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.7)
    return f", did you mean {close[0]!r}?" if close else ""


class NodeReader:
    """Typed access to the nodes of one file; every problem is recorded, nothing raises."""

    def __init__(self, file: str, errors: list[LintError]) -> None:
        self.file = file
        self.errors = errors

    def error(self, where: yaml.Node | int, message: str, value: str) -> None:
        line = where if isinstance(where, int) else line_of(where)
        self.errors.append(LintError(self.file, line, message, value))

    def source(self, node: yaml.Node) -> Source:
        return Source(self.file, line_of(node))

    def mapping(
        self,
        node: yaml.Node | None,
        where: str,
        required: Sequence[str] = (),
        optional: Sequence[str] = (),
    ) -> dict[str, yaml.Node] | None:
        if node is None:
            return None
        if not isinstance(node, yaml.MappingNode):
            self.error(node, f"{where} must be a mapping", show_node(node))
            return None
        allowed = (*required, *optional)
        out: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag != STR_TAG:
                self.error(key_node, f"keys in {where} must be strings", show_node(key_node))
                continue
            key = str(key_node.value)
            if key in out:
                self.error(key_node, f"duplicate key in {where}", key)
            elif key not in allowed:
                self.error(key_node, f"unknown key in {where}{suggest(key, allowed)}", key)
            else:
                out[key] = value_node
        for key in required:
            if key not in out:
                self.error(node, f"missing required key in {where}", key)
        # Returned even when keys are missing, so the keys that are there get checked too; the
        # caller sees the missing-key errors in its error count.
        return out

    def seq(self, node: yaml.Node | None, what: str) -> list[yaml.Node] | None:
        if node is None:
            return None
        if not isinstance(node, yaml.SequenceNode):
            self.error(node, f"{what} must be a list", show_node(node))
            return None
        return list(node.value)

    def string(self, node: yaml.Node | None, what: str, *, empty: bool = False) -> str | None:
        if node is None:
            return None
        # Plain scalars are taken as written, so `password: 12345` or `max: 5.4` stay the text
        # the author typed instead of becoming numbers (YAML 1.1 would make them int/float).
        if not isinstance(node, yaml.ScalarNode) or node.tag not in SCALAR_TAGS:
            self.error(node, f"{what} must be a string", show_node(node))
            return None
        if node.tag == NULL_TAG and node.style is None:
            self.error(node, f'{what} must be a string, not empty (write "" for none)', "null")
            return None
        text = str(node.value)
        if not empty and not text.strip():
            self.error(node, f"{what} must not be empty", repr(text))
            return None
        if len(text) > MAX_TEXT:
            self.error(node, f"{what} is longer than {MAX_TEXT} characters", show_node(node))
            return None
        return text

    def integer(self, node: yaml.Node | None, what: str, low: int, high: int) -> int | None:
        if node is None:
            return None
        if not isinstance(node, yaml.ScalarNode) or node.tag != INT_TAG:
            self.error(node, f"{what} must be an integer", show_node(node))
            return None
        text = str(node.value)
        number = ascii_decimal(text)
        if number is None:
            self.error(node, f"{what} must be a plain decimal integer", text)
            return None
        if not low <= number <= high:
            self.error(node, f"{what} must be between {low} and {high}", text)
            return None
        return number

    def number(self, node: yaml.Node | None, what: str, low: float, high: float) -> float | None:
        if node is None:
            return None
        if not isinstance(node, yaml.ScalarNode) or node.tag not in (INT_TAG, FLOAT_TAG):
            self.error(node, f"{what} must be a number", show_node(node))
            return None
        text = str(node.value)
        if not re.fullmatch(r"[0-9]{1,3}(?:\.[0-9]{1,3})?", text):
            self.error(node, f"{what} must be a plain decimal number", text)
            return None
        value = float(text)
        if not low <= value <= high:
            self.error(node, f"{what} must be between {low:g} and {high:g}", text)
            return None
        return value

    def boolean(self, node: yaml.Node | None, what: str) -> bool | None:
        if node is None:
            return None
        if not isinstance(node, yaml.ScalarNode) or node.tag != BOOL_TAG:
            self.error(node, f"{what} must be true or false", show_node(node))
            return None
        return str(node.value).lower() in ("true", "yes", "on", "y")

    def choice(self, node: yaml.Node | None, what: str, choices: Sequence[str]) -> str | None:
        text = self.string(node, what)
        if text is None or node is None:
            return None
        if text not in choices:
            self.error(node, f"{what} must be one of {', '.join(choices)}", text)
            return None
        return text

    def items(
        self, node: yaml.Node | None, what: str, parse: Callable[[yaml.Node], T | None]
    ) -> list[T]:
        if node is None:
            return []
        nodes = self.seq(node, what)
        out: list[T] = []
        for item in nodes or ():
            parsed = parse(item)
            if parsed is not None:
                out.append(parsed)
        return out

    def strings(self, node: yaml.Node | None, what: str) -> list[str]:
        return self.items(node, what, lambda n: self.string(n, f"each entry of {what}"))

    def url(self, node: yaml.Node | None, what: str) -> str | None:
        text = self.string(node, what)
        if text is None or node is None:
            return None
        parts = urlsplit(text)
        if (
            parts.scheme not in ("http", "https")
            or not parts.netloc
            or any(ch.isspace() for ch in text)
        ):
            self.error(node, f"{what} must be an http(s) URL", text)
            return None
        return text


# --- composing files ----------------------------------------------------------------------------


def _check_tree(root: yaml.Node, reader: NodeReader, max_nodes: int, max_depth: int) -> bool:
    """Refuse aliases, unknown tags and huge or deep trees before the typed walk.

    The composer hands back the *same* node object for every alias of an anchor, so a node seen
    twice is an alias; refusing them keeps the walk linear ("billion laughs" stays small).
    """
    seen: set[int] = set()
    stack: list[tuple[yaml.Node, int]] = [(root, 1)]
    ok = True
    while stack:
        node, depth = stack.pop()
        if id(node) in seen:
            reader.error(node, "anchors and aliases are not supported", show_node(node))
            return False
        seen.add(id(node))
        if len(seen) > max_nodes:
            reader.error(node, f"file has more than {max_nodes} YAML nodes", "")
            return False
        if depth > max_depth:
            reader.error(node, f"nesting is deeper than {max_depth} levels", show_node(node))
            return False
        if isinstance(node, yaml.ScalarNode):
            if node.tag not in SCALAR_TAGS:
                reader.error(node, "unsupported YAML tag", str(node.tag))
                ok = False
        elif isinstance(node, yaml.SequenceNode):
            if node.tag != SEQ_TAG:
                reader.error(node, "unsupported YAML tag", str(node.tag))
                ok = False
            stack.extend((child, depth + 1) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            if node.tag != MAP_TAG:
                reader.error(node, "unsupported YAML tag", str(node.tag))
                ok = False
            for key, value in node.value:
                stack.append((key, depth + 1))
                stack.append((value, depth + 1))
    return ok


def compose_yaml(
    reader: NodeReader,
    data: bytes,
    *,
    max_bytes: int,
    max_nodes: int = MAX_NODES,
    max_depth: int = MAX_DEPTH,
) -> yaml.Node | None:
    """The node tree of ``data``, or None after recording why it cannot be read safely."""
    if len(data) > max_bytes:
        reader.error(0, f"file is larger than {max_bytes} bytes", str(len(data)))
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        reader.error(line, "file is not valid UTF-8", data[exc.start : exc.start + 4].hex())
        return None
    try:
        if _refuse_anchors(text, reader):
            return None
        root = _compose_tree(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = int(mark.line) + 1 if mark is not None else 0
        reader.error(line, f"YAML syntax error: {exc.problem or exc.context}", _near(text, line))
        return None
    except yaml.YAMLError as exc:  # ReaderError: a character YAML does not allow
        position = int(getattr(exc, "position", 0) or 0)
        line = text[:position].count("\n") + 1
        reader.error(line, "YAML error: a character YAML does not allow", str(exc)[:80])
        return None
    except RecursionError:
        reader.error(0, "YAML nesting is too deep", "")
        return None
    if root is None:
        reader.error(1, "file is empty", f"{len(data)} bytes")
        return None
    if not _check_tree(root, reader, max_nodes, max_depth):
        return None
    return root


# libyaml's composer is several times faster than the pure-Python one on the shipped set, which
# every command loads; the pure-Python one stays the reference for what an error says.
_FAST_LOADER: type[yaml.SafeLoader] | None = getattr(yaml, "CSafeLoader", None)


def _compose_tree(text: str) -> yaml.Node | None:
    """The node tree of ``text``; on any YAML error, the pure-Python composer's error."""
    if _FAST_LOADER is not None:
        try:
            return yaml.compose(text, Loader=_FAST_LOADER)
        except yaml.YAMLError:
            pass  # re-read below, so messages and lines do not depend on libyaml being there
    return yaml.compose(text, Loader=yaml.SafeLoader)


def _refuse_anchors(text: str, reader: NodeReader) -> bool:
    """Report every anchor and alias where it is written; True if there was any.

    Aliases would let a few lines expand into a huge tree ("billion laughs"), and signature
    files are short enough to write out. The event scan only runs when the text could hold one.
    """
    if "&" not in text and "*" not in text:
        return False
    events: list[yaml.Event] = []
    if _FAST_LOADER is not None:
        try:
            events = list(yaml.parse(text, Loader=_FAST_LOADER))
        except yaml.YAMLError:
            events = []  # the pure-Python parse below raises the reference error
    if not events:
        events = list(yaml.parse(text, Loader=yaml.SafeLoader))
    found = False
    for event in events:
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            sigil = "*" if isinstance(event, yaml.AliasEvent) else "&"
            mark = event.start_mark
            line = int(mark.line) + 1 if mark is not None else 0
            reader.error(line, "anchors and aliases are not supported", f"{sigil}{anchor}")
            found = True
    return found


def keys_of(m: dict[str, yaml.Node]) -> str:
    return ", ".join(m) or "{}"


def _near(text: str, line: int) -> str:
    lines = text.splitlines()
    if 1 <= line <= len(lines):
        snippet = lines[line - 1].strip()
        return snippet if len(snippet) <= 80 else snippet[:77] + "..."
    return ""
