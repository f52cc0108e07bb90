"""Code read from a documentation page, as a reader would copy it.

A block inside a list item is indented in the Markdown and not in the rendered
page: blocks are dedented. A file's block starts with a comment naming it
("# chat/views.py", "<!-- chat/templates/room.html -->").
"""

from __future__ import annotations

import re
import shlex
import textwrap
from collections.abc import Iterator

BLOCK = re.compile(r"```(?P<lang>\w*)\n(?P<code>.*?)```", re.S)
NAMED = re.compile(r"^(?:# |<!-- )(?P<path>[\w/.]+\.(?:py|html|ini))\b")
# --verbosity 0: only what the code prints, not Django's "N objects imported automatically".
SHELL_CODE = re.compile(r'manage\.py shell --verbosity 0 -c "\n(?P<code>.*?)\n"', re.S)


def code_blocks(page: str, lang: str | None = None) -> Iterator[str]:
    for block in BLOCK.finditer(page):
        if lang is None or block["lang"] == lang:
            yield textwrap.dedent(block["code"])


def named_files(page: str) -> dict[str, str]:
    """Every block that names its file, by that file's path."""
    files = {}
    for code in code_blocks(page):
        named = NAMED.match(code)
        if named:
            files[named["path"]] = code
    return files


def shell_code(page: str, containing: str) -> str:
    """The Python of the one ``manage.py shell -c "..."`` command containing ``containing``."""
    (code,) = [
        m["code"]
        for block in code_blocks(page, "sh")
        for m in SHELL_CODE.finditer(block)
        if containing in m["code"]
    ]
    return code


def shell_block(page: str, containing: str) -> str:
    """The one ``sh`` block containing ``containing``."""
    (code,) = [code for code in code_blocks(page, "sh") if containing in code]
    return code


def on_ports(code: str, http_port: int, ws_port: int) -> str:
    """The documented ports 8000 (Django) and 8001 (the local gateway) replaced."""
    return (
        code.replace("127.0.0.1:8000", f"127.0.0.1:{http_port}")
        .replace("127.0.0.1:8001", f"127.0.0.1:{ws_port}")
        .replace("--port 8001", f"--port {ws_port}")
    )


def manage_args(command: str) -> list[str]:
    """The arguments after ``manage.py`` of a documented ``python manage.py ...`` line."""
    python, manage, *args = shlex.split(command)
    assert (python, manage) == ("python", "manage.py"), command
    return args
