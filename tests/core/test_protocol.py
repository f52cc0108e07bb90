"""protocol.py is the one definition: the JS client and docs/protocol.md are held to it."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from django_aws_api_gateway_websockets import protocol
from django_aws_api_gateway_websockets.views.handlers import BUILTIN_HANDLERS

REPO = Path(__file__).resolve().parents[2]
CLIENT_JS = (
    REPO
    / "src/django_aws_api_gateway_websockets/static/django_aws_api_gateway_websockets"
    / "websocket-client.js"
)
PROTOCOL_PAGE = REPO / "docs" / "protocol.md"
_CLIENT_BLOCK = re.compile(
    r"// protocol\.py:begin\n\s*const PROTOCOL = (\{.*?\});\n\s*// protocol\.py:end", re.DOTALL
)


def client_block() -> Any:
    found = _CLIENT_BLOCK.search(CLIENT_JS.read_text())
    assert found, "websocket-client.js has no PROTOCOL block between its protocol.py markers"
    return json.loads(found.group(1))


def frames_table() -> str:
    """docs/protocol.md's table of frames, as FRAMES declares them."""
    rows = ["| frame | keys | optional keys | meaning |", "|---|---|---|---|"]
    for frame in protocol.FRAMES.values():
        keys = ", ".join(f"`{key}`" for key in frame.fields)
        optional = ", ".join(f"`{key}`" for key in frame.optional) or "none"
        rows.append(f"| `{frame.name}` | {keys} | {optional} | {frame.meaning} |")
    return "\n".join(rows)


def test_the_js_client_holds_the_constants_of_protocol_py() -> None:
    expected = json.dumps(protocol.client_constants(), indent=2)
    assert client_block() == protocol.client_constants(), (
        f"Paste this into websocket-client.js as its PROTOCOL block:\n{expected}"
    )


def test_docs_protocol_md_lists_every_frame_as_declared() -> None:
    assert frames_table() in PROTOCOL_PAGE.read_text(), (
        f"docs/protocol.md must show this table:\n{frames_table()}"
    )


def built_frames() -> list[dict[str, Any]]:
    """One frame from every builder of protocol.py."""
    texts = [
        protocol.publish_text("lobby", 1, '{"n":1}'),
        protocol.resumed_text(
            "lobby",
            last_seq=1,
            more=False,
            messages=[protocol.publish_text("lobby", 1, "null")],
            message_id="m",
        ),
        protocol.resume_failed_text("lobby", after=3, last_seq=1, message_id="m"),
    ]
    return [
        protocol.ack("m"),
        protocol.reply("m", {"any": "dict"}),
        protocol.error("Permission denied."),
        protocol.error("Permission denied.", refused="m"),
        protocol.subscribed("lobby"),
        protocol.with_ack(protocol.subscribed("presence-lobby", []), "m"),
        protocol.unsubscribed("lobby"),
        protocol.channel_changed("lobby", "hall"),
        protocol.member_added("presence-lobby", 1, {"username": "alice"}),
        protocol.member_removed("presence-lobby", 1),
        protocol.revoked("lobby"),
        *(json.loads(text) for text in texts),
    ]


def test_every_builder_makes_a_declared_frame_with_its_declared_keys() -> None:
    built = built_frames()
    for frame in built:
        declared = protocol.FRAMES[frame[protocol.FRAME_KEY]]
        keys = set(frame) - {protocol.FRAME_KEY}
        assert set(declared.fields) <= keys <= {*declared.fields, *declared.optional}, frame
    # Every declared frame has a builder.
    assert {frame[protocol.FRAME_KEY] for frame in built} == set(protocol.FRAMES)


def test_the_wire_shape_of_a_frame() -> None:
    # What a client written in any language reads: the reserved key first.
    assert protocol.publish_text("news", 7, '{"a":[1]}') == (
        '{"$ws":"publish","channel":"news","seq":7,"data":{"a":[1]}}'
    )
    assert json.dumps(protocol.ack("m-1")) == '{"$ws": "ack", "ack": "m-1"}'


def test_an_applications_dict_is_never_a_frame() -> None:
    assert not protocol.is_frame({"type": "subscribed", "channel": "x", "seq": 1, "data": 2})
    assert not protocol.is_frame([protocol.FRAME_KEY])
    assert protocol.is_frame(protocol.revoked("x"))


def test_message_ids() -> None:
    assert protocol.is_message_id("a-_Z9" * 12 + "abcd")
    for bad in ("", "x" * (protocol.MESSAGE_ID_MAX_LENGTH + 1), "has space", 5, None):
        assert not protocol.is_message_id(bad)
    # The client's copy of the pattern means the same in JavaScript: no flags, anchored.
    assert protocol.client_constants()["message_id_pattern"] == "^[A-Za-z0-9_-]{1,64}$"


def test_the_js_client_calls_only_built_in_handlers() -> None:
    called = set(re.findall(r'\[HANDLER_KEY\]: "(\w+)"', CLIENT_JS.read_text()))
    assert called == {"ping", "subscribe", "unsubscribe", "resume"}
    assert called <= BUILTIN_HANDLERS
