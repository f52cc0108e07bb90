"""The 32 KB frame quota (both ways) and client masking, which aiohttp does not handle.

aiohttp limits whole messages (``max_msg_size``) but reassembles fragmented
messages before anyone sees a frame. So the raw byte stream from the client is
read once more here, headers only, before aiohttp's own parser gets it; payload
bytes are skipped, not copied. RFC 6455 (5.1) requires every client frame to
be masked and the server to close with 1002 on one that is not.

The other way, API Gateway splits a message it sends (an ``@connections`` post,
a route response) into frames of at most 32 KB; aiohttp writes every message
as one frame, so a larger one is written here as a fragmented message.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web
from aiohttp.http import WebSocketWriter
from aiohttp.web_request import BaseRequest

from ..log_context import get_logger

logger = get_logger(__name__.rpartition(".")[0])

_MASK_BIT = 0x80
_LENGTH_MASK = 0x7F
_LENGTH_16 = 126
_LENGTH_64 = 127
_FIN_BIT = 0x80
_CONTINUATION = 0x0


def _header_size(header: bytes | bytearray) -> int:
    """Bytes of a frame header, known once its first two bytes are."""
    length_code = header[1] & _LENGTH_MASK
    extended = {_LENGTH_16: 2, _LENGTH_64: 8}.get(length_code, 0)
    mask = 4 if header[1] & _MASK_BIT else 0
    return 2 + extended + mask


def _payload_length(header: bytes | bytearray) -> int:
    length_code = header[1] & _LENGTH_MASK
    if length_code == _LENGTH_16:
        return int.from_bytes(header[2:4], "big")
    if length_code == _LENGTH_64:
        return int.from_bytes(header[2:10], "big")
    return length_code


def server_frame_header(opcode: int, *, fin: bool, length: int) -> bytes:
    """The header of an unmasked frame (RFC 6455, 5.2): what a server sends."""
    first = (_FIN_BIT if fin else 0) | opcode
    if length < _LENGTH_16:
        return bytes((first, length))
    if length < 1 << 16:
        return bytes((first, _LENGTH_16)) + length.to_bytes(2, "big")
    return bytes((first, _LENGTH_64)) + length.to_bytes(8, "big")


def fragmented(data: bytes, opcode: int, max_frame_bytes: int) -> bytes:
    """``data`` as one message in frames of at most ``max_frame_bytes`` payload bytes."""
    chunks = [
        data[start : start + max_frame_bytes] for start in range(0, len(data), max_frame_bytes)
    ]
    return b"".join(
        server_frame_header(
            opcode if index == 0 else _CONTINUATION, fin=index == len(chunks) - 1, length=len(chunk)
        )
        + chunk
        for index, chunk in enumerate(chunks)
    )


class FrameSizeWatcher:
    """Reads frame headers in a byte stream; reports the first frame over a limit or unmasked."""

    def __init__(
        self,
        max_frame_bytes: int,
        on_oversized: Callable[[int], None],
        on_unmasked: Callable[[], None] = lambda: None,
    ) -> None:
        self._max = max_frame_bytes
        self._on_oversized = on_oversized
        self._on_unmasked = on_unmasked
        self._header = bytearray()
        self._skip = 0
        self._tripped = False

    def feed(self, data: bytes | bytearray | memoryview) -> None:
        position, end = 0, len(data)
        while position < end and not self._tripped:
            if self._skip:
                step = min(self._skip, end - position)
                self._skip -= step
                position += step
                continue
            wanted = (_header_size(self._header) if len(self._header) >= 2 else 2) - len(
                self._header
            )
            self._header += data[position : position + wanted]
            position += wanted
            if len(self._header) < 2 or len(self._header) < _header_size(self._header):
                continue
            length = _payload_length(self._header)
            masked = bool(self._header[1] & _MASK_BIT)
            self._header.clear()
            self._skip = length
            if not masked:
                self._tripped = True
                self._on_unmasked()
            elif length > self._max:
                self._tripped = True
                self._on_oversized(length)


class _ParserWithWatcher:
    """Stands in for aiohttp's parser: shows each chunk to the watcher, then passes it on."""

    def __init__(self, parser: Any, watcher: FrameSizeWatcher) -> None:
        self._parser = parser
        self._watcher = watcher

    def feed_data(self, data: bytes) -> Any:
        self._watcher.feed(data)
        return self._parser.feed_data(data)

    def feed_eof(self) -> Any:
        return self._parser.feed_eof()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._parser, name)


class FrameLimitedWebSocketResponse(web.WebSocketResponse):
    """A WebSocketResponse that closes with 1009 on a frame over the limit, 1002 unmasked.

    ``oversized_frame`` then holds that frame's length (``unmasked_frame`` is
    True): the caller must drop the message it belongs to, should it arrive. The
    bytes still reach aiohttp so that the close handshake can complete.
    """

    def __init__(self, *, max_frame_bytes: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.oversized_frame = 0
        self.unmasked_frame = False
        self._max_frame_bytes = max_frame_bytes
        self._closing_task: asyncio.Task[bool] | None = None

    @property
    def max_frame_bytes(self) -> int:
        return self._max_frame_bytes

    async def send_in_frames(self, data: bytes, opcode: WSMsgType) -> None:
        """Send ``data`` as one message in frames within the limit.

        aiohttp sets FIN on every frame it writes, so the frames are written to
        the transport here, all at once (no other message can come between
        them), then the write buffer is drained as aiohttp's writer does.
        """
        writer = self._writer
        assert writer is not None, "prepare() first"  # only open connections are sent to
        if writer.transport.is_closing():
            raise ConnectionResetError("Cannot write to closing transport")
        writer.transport.write(fragmented(data, opcode, self._max_frame_bytes))
        await writer.protocol._drain_helper()

    def _note_oversized(self, length: int) -> None:
        self.oversized_frame = length
        # Close at once rather than when (if ever) the rest of the message arrives.
        self._closing_task = asyncio.get_running_loop().create_task(
            self.close(code=WSCloseCode.MESSAGE_TOO_BIG, message=b"Frame too big")
        )

    def _note_unmasked(self) -> None:
        self.unmasked_frame = True
        self._closing_task = asyncio.get_running_loop().create_task(
            self.close(code=WSCloseCode.PROTOCOL_ERROR, message=b"Unmasked frame")
        )

    def _post_start(
        self, request: BaseRequest, protocol: str | None, writer: WebSocketWriter
    ) -> None:
        super()._post_start(request, protocol, writer)
        handler = request.protocol
        parser = getattr(handler, "_payload_parser", None)
        if parser is None:  # pragma: no cover - only if aiohttp's internals change
            logger.warning("frame size limit not enforced: unsupported aiohttp version")
            return
        watcher = FrameSizeWatcher(self._max_frame_bytes, self._note_oversized, self._note_unmasked)
        handler._payload_parser = _ParserWithWatcher(parser, watcher)
