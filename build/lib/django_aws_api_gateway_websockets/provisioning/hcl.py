"""A small HCL writer: enough Terraform syntax for the export, correctly quoted."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

INDENT = "  "


class Expr(str):
    """A Terraform expression written as it is (a reference, a function call)."""


class Template(str):
    """A string whose ``${...}`` are meant as Terraform interpolations."""


@dataclass
class Block:
    kind: str
    labels: Sequence[str] = ()
    body: Mapping[str, Any] = field(default_factory=dict)


def _string(text: str, *, interpolate: bool = False) -> str:
    quoted = json.dumps(text, ensure_ascii=False)
    if interpolate:
        return quoted
    # Literal text: "${" and "%{" would start a template sequence.
    return quoted.replace("${", "$${").replace("%{", "%%{")


def value(item: Any, depth: int = 0) -> str:
    if isinstance(item, Expr):
        return str(item)
    if isinstance(item, Template):
        return _string(item, interpolate=True)
    if isinstance(item, bool):
        return "true" if item else "false"
    if isinstance(item, int | float):
        return str(item)
    if isinstance(item, str):
        return _string(item)
    pad, inner = INDENT * depth, INDENT * (depth + 1)
    if isinstance(item, Mapping):
        if not item:
            return "{}"
        lines = [
            f"{inner}{_string(str(key))} = {value(val, depth + 1)}" for key, val in item.items()
        ]
        return "{\n" + "\n".join(lines) + f"\n{pad}}}"
    if isinstance(item, Sequence):
        if not item:
            return "[]"
        lines = [f"{inner}{value(element, depth + 1)}," for element in item]
        return "[\n" + "\n".join(lines) + f"\n{pad}]"
    raise TypeError(f"cannot write {type(item).__name__} as HCL")


def block(item: Block, depth: int = 0) -> str:
    pad = INDENT * depth
    labels = "".join(f" {_string(label)}" for label in item.labels)
    lines = [f"{pad}{item.kind}{labels} {{"]
    for key, val in item.body.items():
        if isinstance(val, Block):
            lines.append(block(val, depth + 1))
        else:
            lines.append(f"{pad}{INDENT}{key} = {value(val, depth + 1)}")
    lines.append(f"{pad}}}")
    return "\n".join(lines)


def document(blocks: Sequence[Block]) -> str:
    return "\n\n".join(block(item) for item in blocks) + "\n"
