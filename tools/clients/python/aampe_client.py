#!/usr/bin/env python3
"""A reference client for the aamped protocol, written from proto-spec/PROTOCOL.md alone.

Frames are a fixed 16-byte little-endian header followed by a Protocol Buffers body; the bodies are the
messages of proto-spec/aampe.proto, generated into ``aampe_pb2.py`` by ``tools/generate-protocol``.
Needs the Python protobuf runtime (``pip install protobuf``).

Library use::

    from aampe_client import Client
    with Client.connect_unix("/var/lib/aamped/aamped.sock") as client:
        assert client.ping(b"abc") == b"abc"
        print(client.stats().uptime_millis)

    with Client.connect_tcp("127.0.0.1", 7420, token="...") as client:  # HMAC proof by default
        ...

Pipelining: ``send`` returns a request id at once, ``receive`` collects the answer to one id, buffering
frames of other requests that arrive first (responses may come back in any order).

Command line::

    python3 aampe_client.py --unix PATH ping [PAYLOAD]
    python3 aampe_client.py --tcp HOST:PORT --token-file FILE stats
"""

from __future__ import annotations

import argparse
import enum
import hashlib
import hmac
import os
import socket
import struct
import sys
import time
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Set, Tuple, Type, TypeVar, Union

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from google.protobuf import json_format  # noqa: E402
from google.protobuf.message import DecodeError, Message  # noqa: E402

import aampe_pb2 as pb  # noqa: E402

# ---------------------------------------------------------------------------------------------------
# Frames

MAGIC = b"am"
"""The first two bytes of every frame."""
MAJOR_VERSION = 1
"""The frame format's major version this client speaks."""
HEADER_LENGTH = 16
FLAG_MORE = 0x01
"""Flags bit 0: more frames of this response follow."""
STATUS_OK = 0
STATUS_ERROR = 1
DEFAULT_MAXIMUM_BODY_BYTES = 1_048_576
"""The server's default ``maximumBodyBytes`` (PROTOCOL.md, Limits)."""

# magic (2 bytes), major u8, flags u8, opcode u16, opcode version u8, status u8, request id u32, body length u32
_HEADER = struct.Struct("<2sBBHBBII")
assert _HEADER.size == HEADER_LENGTH


class Opcode(enum.IntEnum):
    """Operation codes (PROTOCOL.md, Operations)."""

    GREETING = 1
    HELLO = 2
    PING = 3
    RECOMMEND = 4
    SIMILAR_ITEMS = 5
    TRACK = 6
    SCORE = 7
    PULL = 8
    ACK = 9
    STATS = 10
    RELOAD = 11
    CLOCK = 12
    REQUEUE = 13


class ErrorCode(enum.IntEnum):
    """Error codes carried in ``ErrorResponse.code`` (PROTOCOL.md, Errors)."""

    MALFORMED_FRAME = 1
    UNSUPPORTED_MAJOR_VERSION = 2
    UNSUPPORTED_OPERATION = 3
    UNSUPPORTED_OPERATION_VERSION = 4
    FRAME_TOO_LARGE = 5
    HANDSHAKE_REQUIRED = 6
    AUTHENTICATION_FAILED = 7
    PERMISSION_DENIED = 8
    TOO_MANY_IN_FLIGHT = 9
    TOO_MANY_CONNECTIONS = 10
    HANDSHAKE_TIMEOUT = 11
    IDLE_TIMEOUT = 12
    INVALID_REQUEST = 13
    NOT_FOUND = 14
    UNAVAILABLE = 15
    SHUTTING_DOWN = 16
    INTERNAL_ERROR = 17
    DUPLICATE_REQUEST_ID = 18
    UNEXPECTED_FRAME = 19
    STALE_LEASE = 20
    LEASE_EXPIRED = 21
    CONFLICTING_ACK = 22
    UNKNOWN_MESSAGE = 23
    JOURNAL_FAILED = 24


#: The request and response message of each operation (PROTOCOL.md's Operations table). GREETING has no
#: request: the server sends it unasked.
MESSAGES: Dict[Opcode, Tuple[Optional[Type[Message]], Type[Message]]] = {
    Opcode.GREETING: (None, pb.Greeting),
    Opcode.HELLO: (pb.HelloRequest, pb.HelloResponse),
    Opcode.PING: (pb.PingRequest, pb.PingResponse),
    Opcode.RECOMMEND: (pb.RecommendRequest, pb.RecommendResponse),
    Opcode.SIMILAR_ITEMS: (pb.SimilarItemsRequest, pb.SimilarItemsResponse),
    Opcode.TRACK: (pb.TrackRequest, pb.TrackResponse),
    Opcode.SCORE: (pb.ScoreRequest, pb.ScoreResponse),
    Opcode.PULL: (pb.PullRequest, pb.PullResponse),
    Opcode.ACK: (pb.AckRequest, pb.AckResponse),
    Opcode.STATS: (pb.StatsRequest, pb.StatsResponse),
    Opcode.RELOAD: (pb.ReloadRequest, pb.ReloadResponse),
    Opcode.CLOCK: (pb.ClockRequest, pb.ClockResponse),
    Opcode.REQUEUE: (pb.RequeueRequest, pb.RequeueResponse),
}


def opcode_name(opcode: int) -> Optional[str]:
    """The name PROTOCOL.md gives ``opcode``, or None for an opcode it does not define (such as 0)."""
    try:
        return Opcode(opcode).name
    except ValueError:
        return None


def error_name(code: int) -> str:
    """The name PROTOCOL.md gives an error ``code``; ``UNKNOWN_<n>`` for a code this client does not know."""
    try:
        return ErrorCode(code).name
    except ValueError:
        return f"UNKNOWN_{code}"


@dataclass(frozen=True)
class Frame:
    """One frame: the header's fields and the body. The body length is ``len(body)``."""

    opcode: int
    request_id: int
    body: bytes = b""
    flags: int = 0
    opcode_version: int = 1
    status: int = STATUS_OK
    major: int = MAJOR_VERSION

    @property
    def more(self) -> bool:
        """Whether more frames of this response follow."""
        return bool(self.flags & FLAG_MORE)

    @property
    def is_error(self) -> bool:
        """Whether the body is an ``ErrorResponse``."""
        return self.status == STATUS_ERROR

    @property
    def body_length(self) -> int:
        return len(self.body)

    @classmethod
    def with_message(
        cls, opcode: int, request_id: int, message: Message, *, flags: int = 0, opcode_version: int = 1, status: int = STATUS_OK
    ) -> "Frame":
        """A frame whose body is ``message`` serialized."""
        return cls(opcode, request_id, message.SerializeToString(deterministic=True), flags, opcode_version, status)

    def encode(self) -> bytes:
        """The frame's bytes: header, then body."""
        return encode_frame(self)

    def message(self, message_type: Type[Message]) -> Message:
        """The body parsed as ``message_type``."""
        message = message_type()
        message.ParseFromString(self.body)
        return message


class AampeError(Exception):
    """Base class of this module's errors."""


class ProtocolError(AampeError):
    """Bytes that do not form a valid frame, detected on this side. ``code`` is the error code a server
    answers the same bytes with; ``opcode`` and ``request_id`` are those of the offending frame when its
    header was readable, else 0."""

    def __init__(self, code: int, message: str, *, opcode: int = 0, request_id: int = 0) -> None:
        super().__init__(f"{error_name(code)} ({code}): {message}")
        self.code = code
        self.message = message
        self.opcode = opcode
        self.request_id = request_id


class ServerError(AampeError):
    """An error frame from the server: the ``ErrorResponse`` and the frame's opcode and request id."""

    def __init__(self, code: int, message: str, *, retry_after_millis: int = 0, opcode: int = 0, request_id: int = 0) -> None:
        operation = opcode_name(opcode) or f"opcode {opcode}"
        super().__init__(f"{error_name(code)} ({code}) for {operation} request {request_id}: {message}")
        self.code = code
        self.name = error_name(code)
        self.message = message
        self.retry_after_millis = retry_after_millis
        self.opcode = opcode
        self.request_id = request_id

    @classmethod
    def from_frame(cls, frame: Frame) -> "ServerError":
        """The error an ERROR frame carries. A body that does not parse becomes an error with code 0."""
        try:
            response = frame.message(pb.ErrorResponse)
        except DecodeError:
            return cls(0, f"unparsable ErrorResponse body ({len(frame.body)} bytes)", opcode=frame.opcode, request_id=frame.request_id)
        return cls(
            response.code,
            response.message,
            retry_after_millis=response.retry_after_millis,
            opcode=frame.opcode,
            request_id=frame.request_id,
        )


class ConnectionClosed(AampeError):
    """The server closed the connection (or it broke) while an answer was awaited."""


def encode_frame(frame: Frame) -> bytes:
    """The bytes of ``frame``, exactly per PROTOCOL.md's header table."""
    if len(frame.body) > 0xFFFFFFFF:
        raise ValueError(f"a body of {len(frame.body)} bytes cannot be framed")
    header = _HEADER.pack(
        MAGIC, frame.major, frame.flags, frame.opcode, frame.opcode_version, frame.status, frame.request_id, len(frame.body)
    )
    return header + frame.body


@dataclass(frozen=True)
class FrameHeader:
    """A decoded header, with the body length it announces."""

    magic: bytes
    major: int
    flags: int
    opcode: int
    opcode_version: int
    status: int
    request_id: int
    body_length: int


def decode_header(data: bytes) -> FrameHeader:
    """The fields of a 16-byte header, unchecked."""
    return FrameHeader(*_HEADER.unpack(data[:HEADER_LENGTH]))


class FrameDecoder:
    """Cuts a byte stream into frames. Checks each header as soon as it is readable, before any body is
    awaited: a wrong magic, a major version other than 1, or a body over ``maximum_body_bytes`` raises
    ``ProtocolError`` with the code PROTOCOL.md gives. After a raise the stream is unusable."""

    def __init__(self, maximum_body_bytes: int = 0xFFFFFFFF) -> None:
        self.maximum_body_bytes = maximum_body_bytes
        self._buffer = bytearray()

    def feed(self, data: bytes) -> List[Frame]:
        """Adds ``data`` and returns every frame now complete."""
        self._buffer += data
        frames: List[Frame] = []
        while True:
            frame = self._next()
            if frame is None:
                return frames
            frames.append(frame)

    def finish(self) -> None:
        """Declares the end of the stream: raises MALFORMED_FRAME if it ended inside a frame."""
        if self._buffer:
            opcode, request_id = 0, 0
            if len(self._buffer) >= HEADER_LENGTH:
                header = decode_header(bytes(self._buffer))
                opcode, request_id = header.opcode, header.request_id
            raise ProtocolError(
                ErrorCode.MALFORMED_FRAME,
                f"stream ended inside a frame, {len(self._buffer)} bytes into it",
                opcode=opcode,
                request_id=request_id,
            )

    @property
    def buffered(self) -> int:
        """Bytes received but not yet part of a whole frame."""
        return len(self._buffer)

    def _next(self) -> Optional[Frame]:
        buffer = self._buffer
        if len(buffer) >= 2 and buffer[:2] != MAGIC:
            raise ProtocolError(ErrorCode.MALFORMED_FRAME, f"wrong magic {bytes(buffer[:2]).hex()}")
        if len(buffer) < HEADER_LENGTH:
            return None
        header = decode_header(bytes(buffer[:HEADER_LENGTH]))
        if header.major != MAJOR_VERSION:
            raise ProtocolError(
                ErrorCode.UNSUPPORTED_MAJOR_VERSION,
                f"major version {header.major}; this side speaks {MAJOR_VERSION}",
                opcode=header.opcode,
                request_id=header.request_id,
            )
        if header.body_length > self.maximum_body_bytes:
            raise ProtocolError(
                ErrorCode.FRAME_TOO_LARGE,
                f"body of {header.body_length} bytes; the limit is {self.maximum_body_bytes}",
                opcode=header.opcode,
                request_id=header.request_id,
            )
        end = HEADER_LENGTH + header.body_length
        if len(buffer) < end:
            return None
        body = bytes(buffer[HEADER_LENGTH:end])
        del buffer[:end]
        return Frame(header.opcode, header.request_id, body, header.flags, header.opcode_version, header.status, header.major)


def decode_frame(data: bytes, maximum_body_bytes: int = 0xFFFFFFFF) -> Frame:
    """Exactly one frame from ``data``; raises ``ProtocolError`` when ``data`` is not one whole frame."""
    decoder = FrameDecoder(maximum_body_bytes)
    frames = decoder.feed(data)
    decoder.finish()
    if len(frames) != 1:
        raise ValueError(f"expected one frame, found {len(frames)}")
    return frames[0]


def token_hmac(token: Union[str, bytes], nonce: bytes) -> bytes:
    """HMAC-SHA256 keyed with the token over the GREETING's nonce: HELLO's ``token_hmac``."""
    key = token.encode("utf-8") if isinstance(token, str) else token
    return hmac.new(key, nonce, hashlib.sha256).digest()


# ---------------------------------------------------------------------------------------------------
# The client

M = TypeVar("M", bound=Message)


@dataclass
class _Pending:
    """Frames received for one in-flight request; ``done`` once its last frame (no MORE) arrived."""

    frames: List[Frame] = field(default_factory=list)
    done: bool = False


class Client:
    """One connection to aamped: greeted and authenticated on construction.

    Not thread-safe: use one client per thread, or pipeline from one thread with ``send``/``receive``.
    """

    def __init__(
        self,
        sock: socket.socket,
        *,
        token: Union[str, bytes, None] = None,
        use_hmac: bool = True,
        client_name: str = "aampe_client.py",
        wants_admin: bool = False,
        timeout: Optional[float] = 10.0,
    ) -> None:
        """Greets and authenticates over the connected ``sock``. Without ``token`` HELLO carries no
        credential (fine on the Unix socket); with it, HELLO carries ``token_hmac`` (``use_hmac``, the
        default) or the token itself. Raises ``ServerError`` when the server refuses."""
        self._socket = sock
        self._socket.settimeout(timeout)
        self._decoder = FrameDecoder()
        self._received: List[Frame] = []
        self._pending: Dict[int, _Pending] = {}
        self._next_id = 1
        self._fatal: Optional[AampeError] = None
        try:
            self.greeting: pb.Greeting = self._read_greeting()
            hello = pb.HelloRequest(protocol_major=MAJOR_VERSION, client_name=client_name, wants_admin=wants_admin)
            if token is not None:
                if use_hmac:
                    hello.token_hmac = token_hmac(token, self.greeting.nonce)
                else:
                    hello.token = token.encode("utf-8") if isinstance(token, str) else token
            self.session: pb.HelloResponse = self.request(Opcode.HELLO, hello, pb.HelloResponse)
        except BaseException:
            self.close()
            raise

    @classmethod
    def connect_unix(
        cls,
        path: str,
        *,
        token: Union[str, bytes, None] = None,
        use_hmac: bool = True,
        client_name: str = "aampe_client.py",
        wants_admin: bool = False,
        timeout: Optional[float] = 10.0,
    ) -> "Client":
        """Connects to the Unix socket at ``path``; the other arguments as for the constructor."""
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.settimeout(timeout)
            sock.connect(path)
        except BaseException:
            sock.close()
            raise
        return cls(sock, token=token, use_hmac=use_hmac, client_name=client_name, wants_admin=wants_admin, timeout=timeout)

    @classmethod
    def connect_tcp(
        cls,
        host: str,
        port: int,
        *,
        token: Union[str, bytes, None] = None,
        use_hmac: bool = True,
        client_name: str = "aampe_client.py",
        wants_admin: bool = False,
        timeout: Optional[float] = 10.0,
    ) -> "Client":
        """Connects over TCP, which needs a ``token``; the other arguments as for the constructor."""
        sock = socket.create_connection((host, port), timeout=timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return cls(sock, token=token, use_hmac=use_hmac, client_name=client_name, wants_admin=wants_admin, timeout=timeout)

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        """Closes the connection."""
        self._socket.close()

    # Operations

    def ping(self, payload: bytes = b"") -> bytes:
        """PING: returns the payload the server echoed."""
        return self.request(Opcode.PING, pb.PingRequest(payload=payload), pb.PingResponse).payload

    def stats(self) -> pb.StatsResponse:
        """STATS: the server's counters."""
        return self.request(Opcode.STATS, pb.StatsRequest(), pb.StatsResponse)

    def reload(self) -> pb.ReloadResponse:
        """RELOAD (admin sessions only): picks up the newest published generation."""
        return self.request(Opcode.RELOAD, pb.ReloadRequest(), pb.ReloadResponse)

    def pull(self, consumer: str, maximum: int, lease_seconds: int, channels: Sequence[str] = ()) -> pb.PullResponse:
        """PULL: leases up to ``maximum`` due messages for ``lease_seconds``; a streamed answer is merged."""
        request = pb.PullRequest(
            consumer=consumer, maximum_messages=maximum, lease_seconds=lease_seconds, channels=list(channels)
        )
        return self.request(Opcode.PULL, request, pb.PullResponse)

    def ack(self, acknowledgements: Sequence[pb.Acknowledgement]) -> pb.AckResponse:
        """ACK: settles each acknowledgement; ``results`` has one entry per acknowledgement, in order, with
        ``code`` 0 (settled, or ``repeated``) or STALE_LEASE, LEASE_EXPIRED, CONFLICTING_ACK, UNKNOWN_MESSAGE."""
        return self.request(Opcode.ACK, pb.AckRequest(acknowledgements=list(acknowledgements)), pb.AckResponse)

    def clock(self, *, set_micros: Optional[int] = None, advance_micros: int = 0) -> pb.ClockResponse:
        """CLOCK (admin): reads the outbox clock, or moves a simulated one."""
        request = pb.ClockRequest(advance_micros=advance_micros)
        if set_micros is not None:
            request.set_micros = set_micros
        return self.request(Opcode.CLOCK, request, pb.ClockResponse)

    def requeue_dead(self) -> pb.RequeueResponse:
        """REQUEUE (admin): dead messages whose window is open back to pending."""
        return self.request(Opcode.REQUEUE, pb.RequeueRequest(dead=True), pb.RequeueResponse)

    def request(self, opcode: int, message: Message, response_type: Type[M], *, opcode_version: int = 1) -> M:
        """Sends one request and waits for its whole answer. A streamed answer (several frames) is merged
        into one message: repeated fields are concatenated in frame order. Raises ``ServerError`` for an
        error frame."""
        request_id = self.send(opcode, message, opcode_version=opcode_version)
        merged = response_type()
        for part in self.receive(request_id, response_type):
            merged.MergeFrom(part)
        return merged

    # Pipelining

    def send(self, opcode: int, message: Message, *, opcode_version: int = 1, request_id: Optional[int] = None) -> int:
        """Sends a request without waiting and returns its request id (chosen here unless given)."""
        self._raise_if_broken()
        if request_id is None:
            request_id = self._allocate_id()
        elif request_id in self._pending:
            raise ValueError(f"request id {request_id} is already in flight")
        self._pending[request_id] = _Pending()
        try:
            self._socket.sendall(Frame.with_message(opcode, request_id, message, opcode_version=opcode_version).encode())
        except OSError as error:
            del self._pending[request_id]
            raise ConnectionClosed(f"sending failed: {error}") from error
        return request_id

    def receive(self, request_id: int, response_type: Type[M]) -> List[M]:
        """Waits for the answer to ``request_id``: one message per frame, in order (one frame unless
        streamed). Frames of other requests that arrive meanwhile are kept for their own ``receive``.
        Raises ``ServerError`` if the answer ends in an error frame."""
        frames = self.receive_frames(request_id)
        if frames[-1].is_error:
            raise ServerError.from_frame(frames[-1])
        return [frame.message(response_type) for frame in frames]

    def receive_frames(self, request_id: int) -> List[Frame]:
        """Like ``receive``, but the raw frames, a final error frame included, with nothing raised for it."""
        pending = self._pending.get(request_id)
        if pending is None:
            raise ValueError(f"request id {request_id} is not in flight")
        while not pending.done:
            self._read_one()
        del self._pending[request_id]
        return pending.frames

    @property
    def in_flight(self) -> Set[int]:
        """Request ids sent whose answer has not been received."""
        return set(self._pending)

    # Internals

    def _allocate_id(self) -> int:
        # Ids start at 1 and skip 0, which the server uses for its own unsolicited frames.
        while True:
            request_id = self._next_id
            self._next_id = self._next_id % 0xFFFFFFFF + 1
            if request_id not in self._pending:
                return request_id

    def _read_greeting(self) -> pb.Greeting:
        frame = self._read_frame()
        if frame.is_error:
            raise ServerError.from_frame(frame)
        if frame.opcode != Opcode.GREETING:
            raise ProtocolError(ErrorCode.UNEXPECTED_FRAME, f"expected GREETING, got opcode {frame.opcode}")
        greeting = frame.message(pb.Greeting)
        if greeting.protocol_major != MAJOR_VERSION:
            raise ProtocolError(ErrorCode.UNSUPPORTED_MAJOR_VERSION, f"server speaks protocol {greeting.protocol_major}")
        return greeting

    def _read_frame(self) -> Frame:
        """The next frame off the socket."""
        self._raise_if_broken()
        while not self._received:
            try:
                data = self._socket.recv(65536)
            except socket.timeout as error:
                raise TimeoutError("no answer from the server in time") from error
            except OSError as error:
                self._fatal = ConnectionClosed(f"connection broken: {error}")
                raise self._fatal from error
            if not data:
                self._fatal = ConnectionClosed("the server closed the connection")
                try:
                    self._decoder.finish()
                except ProtocolError as error:
                    self._fatal = error
                raise self._fatal
            try:
                self._received.extend(self._decoder.feed(data))
            except ProtocolError as error:
                self._fatal = error
                raise
        return self._received.pop(0)

    def _read_one(self) -> None:
        """Reads one frame and files it under its request id."""
        frame = self._read_frame()
        pending = self._pending.get(frame.request_id)
        if pending is None or pending.done:
            # Not an answer to anything in flight: a connection-level error (opcode 0 and request id 0,
            # a timeout, a frame the server could not read) ends the connection for every request.
            if frame.is_error:
                self._fatal = ServerError.from_frame(frame)
                raise self._fatal
            raise ProtocolError(ErrorCode.UNEXPECTED_FRAME, f"a frame for request id {frame.request_id}, which is not in flight")
        pending.frames.append(frame)
        if not frame.more:
            pending.done = True

    def _raise_if_broken(self) -> None:
        if self._fatal is not None:
            raise self._fatal


# ---------------------------------------------------------------------------------------------------
# Command line


def _main(arguments: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description="Talk to aamped over its binary protocol.")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--unix", metavar="PATH", help="the Unix socket, such as aampe-data/aamped.sock")
    where.add_argument("--tcp", metavar="HOST:PORT", help="a TCP address; needs --token or --token-file")
    parser.add_argument("--token", help="the token (prefer --token-file: arguments show in ps)")
    parser.add_argument("--token-file", metavar="FILE", help="a file whose first line is the token")
    parser.add_argument("--plain-token", action="store_true", help="send the token itself instead of HMAC(token, nonce)")
    parser.add_argument("--admin", action="store_true", help="ask for an admin session")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for an answer (default 10)")
    commands = parser.add_subparsers(dest="command", required=True)
    ping = commands.add_parser("ping", help="round-trip a payload")
    ping.add_argument("payload", nargs="?", default="ping", help="text to echo (default: ping)")
    commands.add_parser("stats", help="print the server's counters as JSON")
    commands.add_parser("reload", help="pick up the newest generation (admin)")
    commands.add_parser("greeting", help="print the server's GREETING as JSON")
    options = parser.parse_args(arguments)

    token: Optional[str] = options.token
    if options.token_file:
        with open(options.token_file, encoding="utf-8") as file:
            token = file.readline().strip()
    use_hmac = not options.plain_token
    try:
        if options.unix:
            client = Client.connect_unix(
                options.unix, token=token, use_hmac=use_hmac, wants_admin=options.admin, timeout=options.timeout
            )
        else:
            host, _, port = options.tcp.rpartition(":")
            client = Client.connect_tcp(
                host.strip("[]"), int(port), token=token, use_hmac=use_hmac, wants_admin=options.admin, timeout=options.timeout
            )
        with client:
            if options.command == "ping":
                start = time.perf_counter()
                echoed = client.ping(options.payload.encode("utf-8"))
                elapsed = (time.perf_counter() - start) * 1000
                print(f"{echoed.decode('utf-8', 'replace')} ({elapsed:.2f} ms)")
            elif options.command == "stats":
                print(json_format.MessageToJson(client.stats(), indent=2))
            elif options.command == "reload":
                print(json_format.MessageToJson(client.reload(), indent=2) or "{}")
            else:
                print(json_format.MessageToJson(client.greeting, indent=2))
    except (AampeError, OSError) as error:
        print(f"aampe_client: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(_main())
