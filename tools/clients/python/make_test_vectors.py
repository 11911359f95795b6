#!/usr/bin/env python3
"""Writes proto-spec/test-vectors.json: frames of every operation and every error, with their meaning.

    python3 tools/clients/python/make_test_vectors.py           # rewrite the file
    python3 tools/clients/python/make_test_vectors.py --check   # exit 1 if the file is not what this writes

The output is deterministic (fixed nonces, tokens and ids; no clock, no randomness), so running it twice
gives the same file. The operation and error tables are read from PROTOCOL.md, and the frames of its worked
example are checked against the vectors that reproduce them, so the file follows the spec. Messages are
given in protobuf's canonical JSON mapping, as ``json_format.MessageToDict(message)`` writes them
(lowerCamelCase names, 64-bit integers as strings, bytes as base64, enums by name).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from typing import Any, Dict, List, Optional, Sequence, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from google.protobuf import json_format  # noqa: E402
from google.protobuf.message import Message  # noqa: E402

import aampe_pb2 as pb  # noqa: E402
from aampe_client import (  # noqa: E402
    DEFAULT_MAXIMUM_BODY_BYTES,
    FLAG_MORE,
    MAGIC,
    MESSAGES,
    STATUS_ERROR,
    ErrorCode,
    Frame,
    Opcode,
    opcode_name,
    token_hmac,
)

ROOT = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
PROTOCOL = os.path.join(ROOT, "proto-spec", "PROTOCOL.md")
OUTPUT = os.path.join(ROOT, "proto-spec", "test-vectors.json")

CLIENT_TO_SERVER = "client_to_server"
SERVER_TO_CLIENT = "server_to_client"

# Fixed secrets and nonces, so the output never changes. Tokens are at least 16 characters, as aamped requires.
CLIENT_TOKEN = "k7Qp2vX9mR4tW8zB1nC6yH3jL5dF0sGa"
ADMIN_TOKEN = "adm1n-Zr8Lq4Wx2Vb6Nm0Kj5Hg7Fd3Sa9Pe"
UNIX_NONCE = bytes(range(0x00, 0x20))
TCP_NONCE = bytes((0xA5 ^ (index * 37)) & 0xFF for index in range(32))


# ---------------------------------------------------------------------------------------------------
# PROTOCOL.md's tables


def read_protocol() -> str:
    with open(PROTOCOL, encoding="utf-8") as file:
        return file.read()


def operations_table(text: str) -> List[Dict[str, Any]]:
    """The Operations table: opcode, name, direction, request and response message, version, admin."""
    rows = []
    pattern = re.compile(r"^\| (\d+) \| ([A-Z_]+) \| (client → server|server → client) \| (.*?) \| (.*?) \| (\d+) \| (.*?) \|$")
    for line in text.splitlines():
        match = pattern.match(line)
        if not match:
            continue
        opcode, name, direction, request, response, version, admin = match.groups()

        def message(cell: str) -> Optional[str]:
            found = re.search(r"`(\w+)`", cell)
            return f"aampe.v1.{found.group(1)}" if found else None

        rows.append(
            {
                "opcode": int(opcode),
                "name": name,
                "direction": CLIENT_TO_SERVER if direction == "client → server" else SERVER_TO_CLIENT,
                "request": message(request),
                "response": message(response),
                "streamed": "streamed" in response,
                "version": int(version),
                "admin": admin.strip() == "yes",
            }
        )
    return rows


def errors_table(text: str) -> List[Dict[str, Any]]:
    """The Errors table: code, name, and what happens to the connection."""
    pattern = re.compile(r"^\| (\d+) \| ([A-Z_]+) \| (.*) \| (closed|open|open until drained) \|$")
    rows = []
    for line in text.splitlines():
        match = pattern.match(line)
        if match:
            code, name, _, connection = match.groups()
            rows.append({"code": int(code), "name": name, "connection": connection})
    return rows


def check_tables(operations: List[Dict[str, Any]], errors: List[Dict[str, Any]]) -> None:
    """The client's enums and message map agree with PROTOCOL.md."""
    assert [(row["opcode"], row["name"]) for row in operations] == [(op.value, op.name) for op in Opcode], operations
    for row in operations:
        request, response = MESSAGES[Opcode(row["opcode"])]
        assert row["request"] == (request.DESCRIPTOR.full_name if request else None), row
        assert row["response"] == response.DESCRIPTOR.full_name, row
    assert [(row["code"], row["name"]) for row in errors] == [(code.value, code.name) for code in ErrorCode], errors


def worked_example_frames(text: str) -> List[bytes]:
    """The bytes shown in PROTOCOL.md's worked example, one entry per frame; a frame whose body is shown
    only in part (``...``) gives its shown prefix."""
    section = text.split("### Worked example", 1)[1].split("```", 2)[1]
    frames = []
    for line in section.splitlines():
        match = re.match(r"^\s+((?:[0-9a-f]{2} )+)\|((?: [0-9a-f]{2})*)(?: \.\.\.)?\s*$", line)
        if match:
            frames.append(bytes.fromhex(match.group(1) + match.group(2)))
    return frames


# ---------------------------------------------------------------------------------------------------
# Vectors


def frame_json(frame: Frame, message: Message) -> Dict[str, Any]:
    return {
        "magic": MAGIC.hex(),
        "major": frame.major,
        "flags": frame.flags,
        "opcode": frame.opcode,
        "opcode_name": opcode_name(frame.opcode),
        "opcode_version": frame.opcode_version,
        "status": frame.status,
        "request_id": frame.request_id,
        "body_length": frame.body_length,
        "message_type": message.DESCRIPTOR.full_name,
        "message": json_format.MessageToDict(message, preserving_proto_field_name=False),
    }


def vector(
    name: str,
    direction: str,
    opcode: int,
    request_id: int,
    message: Message,
    description: str,
    *,
    flags: int = 0,
    opcode_version: int = 1,
    status: int = 0,
    **extra: Any,
) -> Dict[str, Any]:
    frame = Frame.with_message(opcode, request_id, message, flags=flags, opcode_version=opcode_version, status=status)
    result: Dict[str, Any] = {"name": name, "description": description, "direction": direction}
    result.update(extra)
    result["hex"] = frame.encode().hex()
    result["frame"] = frame_json(frame, message)
    return result


def greeting(transport: str, nonce: bytes, *, minor: int, operations: Sequence[Tuple[Opcode, int]]) -> pb.Greeting:
    return pb.Greeting(
        protocol_major=1,
        protocol_minor=minor,
        server_version="0.1.0",
        nonce=nonce,
        limits=pb.ServerLimits(
            maximum_body_bytes=1_048_576, maximum_in_flight_requests=256, handshake_timeout_millis=5_000, idle_timeout_millis=300_000
        ),
        operations=[pb.OperationSupport(opcode=op.value, name=op.name, newest_version=version) for op, version in operations],
        transport=transport,
    )


def lease_token(message_id: int) -> int:
    """The lease token handed out with ``message_id`` in the PULL vectors."""
    return 1_000 + (message_id & 0xFFFF_FFFF)


#: Batch 7 (the assignment run's id) in the high 32 bits of a message id, the row in the low 32.
BATCH = 7 << 32


def outbox_message(row: int, user: str, channel: str, address: str, fields: Sequence[Tuple[str, str]], attempt: int) -> pb.OutboxMessage:
    message_id = BATCH | row
    texts = dict(fields)
    return pb.OutboxMessage(
        message_id=message_id,
        lease_token=lease_token(message_id),
        user_id=user,
        campaign="spring-sale-2026",
        formula="trail-runner-restock",
        channel=channel,
        address=address,
        subject=texts.get("subject", texts.get("title", "")),
        body=texts.get("body", texts.get("text_body", "")),
        window_start_micros=1_767_258_000_000_000,
        window_end_micros=1_767_268_800_000_000,
        attempt=attempt,
        lease_until_micros=1_767_258_300_000_000,
        variant=17,
        labels=["value_proposition=discount", "tone=plain"],
        fields=[pb.OutboxField(name=name, text=text) for name, text in fields],
        items=["sku-3307"],
        propensity=0.25,
        mode="conditioned",
    )


def operation_vectors() -> List[Dict[str, Any]]:
    c2s, s2c = CLIENT_TO_SERVER, SERVER_TO_CLIENT
    vectors: List[Dict[str, Any]] = []
    add = vectors.append

    # GREETING: exactly what aamped 0.1.0 sends on its Unix socket (PROTOCOL.md's worked example: a
    # 117-byte body), and a greeting with every field set from a server serving every operation.
    served_today = [(Opcode.HELLO, 1), (Opcode.PING, 1), (Opcode.STATS, 1), (Opcode.RELOAD, 1)]
    add(vector("GREETING on the Unix socket (worked example)", s2c, Opcode.GREETING, 0,
               greeting("unix", UNIX_NONCE, minor=0, operations=served_today),
               "The first frame of a connection, request id 0: aamped 0.1.0 with default limits, serving HELLO, "
               "PING, STATS and RELOAD. Nonce bytes 00..1f. protocol_minor 0 is the default, so it is absent."))
    every_operation = [(op, 2 if op == Opcode.RECOMMEND else 1) for op in Opcode if op != Opcode.GREETING]
    add(vector("GREETING over TCP", s2c, Opcode.GREETING, 0,
               greeting("tcp", TCP_NONCE, minor=1, operations=every_operation),
               "A greeting with every field set: protocol minor 1, a server serving every operation, RECOMMEND up to "
               "version 2. The HELLO vectors with token_hmac are computed over this nonce."))

    # HELLO and HELLO_OK.
    add(vector("HELLO with token_hmac, asking for admin", c2s, Opcode.HELLO, 1,
               pb.HelloRequest(protocol_major=1, client_name="braze-bridge/2.1",
                               token_hmac=token_hmac(ADMIN_TOKEN, TCP_NONCE), wants_admin=True),
               "The TCP handshake: token_hmac = HMAC-SHA256(key = the UTF-8 bytes of the admin token, message = the "
               "nonce of the 'GREETING over TCP' vector).",
               hmac={"token": ADMIN_TOKEN, "nonce_hex": TCP_NONCE.hex()}))
    add(vector("HELLO with the token itself", c2s, Opcode.HELLO, 1,
               pb.HelloRequest(protocol_major=1, client_name="aampectl/0.1.0", token=CLIENT_TOKEN.encode()),
               "A credential sent in the clear (Unix socket, or TCP inside a trusted network): the token's UTF-8 bytes."))
    add(vector("HELLO_OK", s2c, Opcode.HELLO, 1, pb.HelloResponse(is_admin=True, session_id=4_294_967_301),
               "A successful handshake: an admin session whose id needs more than 32 bits."))
    add(vector("HELLO on the Unix socket (worked example)", c2s, Opcode.HELLO, 7, pb.HelloRequest(protocol_major=1),
               "No credential: on the Unix socket the socket file's mode decides who may connect."))
    add(vector("HELLO_OK (worked example)", s2c, Opcode.HELLO, 7, pb.HelloResponse(is_admin=True, session_id=1),
               "The peer runs as the daemon's user, so the session is an admin session."))

    # PING.
    payload = b"\x00\x01\x7f\x80\xfe\xffping"
    add(vector("PING request", c2s, Opcode.PING, 2, pb.PingRequest(payload=payload), "A payload of arbitrary bytes."))
    add(vector("PING response", s2c, Opcode.PING, 2, pb.PingResponse(payload=payload), "The payload echoed."))
    add(vector("PING request (worked example)", c2s, Opcode.PING, 8, pb.PingRequest(payload=b"abc"), "Payload \"abc\"."))

    # RECOMMEND.
    add(vector("RECOMMEND request", c2s, Opcode.RECOMMEND, 3,
               pb.RecommendRequest(
                   user_id="u-58213",
                   count=10,
                   filter=pb.ItemFilter(
                       categories=["shoes", "accessories"],
                       attributes=[
                           pb.AttributeCondition(name="brand", values=["acme"]),
                           pb.AttributeCondition(name="color", values=["black", "navy"]),
                       ],
                       in_stock_only=True,
                       minimum_price=5.0,
                       maximum_price=149.99,
                   ),
                   exclude_items=["sku-1042", "sku-2210"],
                   exclude_seen=False,
                   cooldown_days=7,
                   context_items=["sku-0999"],
               ),
               "Every field set; exclude_seen is an optional bool set to false, so it is present on the wire."))
    add(vector("RECOMMEND request, empty (worked example)", c2s, Opcode.RECOMMEND, 9, pb.RecommendRequest(),
               "An empty message: body length 0."))
    add(vector("RECOMMEND response", s2c, Opcode.RECOMMEND, 3,
               pb.RecommendResponse(
                   items=[
                       pb.Recommendation(item_id="sku-3307", score=0.8731, source=pb.Recommendation.NEIGHBOUR,
                                         because_of_item="sku-1042"),
                       pb.Recommendation(item_id="sku-0412", score=0.5, source=pb.Recommendation.POPULAR),
                       pb.Recommendation(item_id="sku-7781", score=0.3125, source=pb.Recommendation.TRENDING),
                   ],
                   generation=42,
                   is_known_user=True,
               ),
               "Three recommendations, one of each source."))

    # SIMILAR_ITEMS.
    add(vector("SIMILAR_ITEMS request", c2s, Opcode.SIMILAR_ITEMS, 4,
               pb.SimilarItemsRequest(
                   item_id="sku-1042",
                   count=5,
                   filter=pb.ItemFilter(
                       categories=["shoes"],
                       attributes=[pb.AttributeCondition(name="size", values=["42", "43"])],
                       in_stock_only=True,
                       maximum_price=120.0,
                   ),
               ),
               "A filter with a maximum price and no minimum: the optional minimum_price is absent."))
    add(vector("SIMILAR_ITEMS response", s2c, Opcode.SIMILAR_ITEMS, 4,
               pb.SimilarItemsResponse(
                   items=[
                       pb.Recommendation(item_id="sku-1043", score=0.9412, source=pb.Recommendation.NEIGHBOUR,
                                         because_of_item="sku-1042"),
                       pb.Recommendation(item_id="sku-1187", score=0.7, source=pb.Recommendation.NEIGHBOUR,
                                         because_of_item="sku-1042"),
                   ],
                   generation=42,
                   is_known_item=True,
               ),
               "Two neighbours of the item, which the generation knows."))
    add(vector("SIMILAR_ITEMS response, item unknown to the generation", s2c, Opcode.SIMILAR_ITEMS, 22,
               pb.SimilarItemsResponse(
                   items=[
                       pb.Recommendation(item_id="sku-7781", score=0.3125, source=pb.Recommendation.TRENDING),
                       pb.Recommendation(item_id="sku-0412", score=0.5, source=pb.Recommendation.POPULAR),
                   ],
                   generation=42,
               ),
               "An item new since training is not NOT_FOUND: the answer is OK, with trending then popular items, and "
               "is_known_item false (absent on the wire, as proto3 leaves out a false bool)."))

    # A response longer than the server's maximum_body_bytes, split between top-level fields.
    split_items = [
        pb.Recommendation(item_id="sku-3307", score=0.8731, source=pb.Recommendation.NEIGHBOUR, because_of_item="sku-1042"),
        pb.Recommendation(item_id="sku-0412", score=0.5, source=pb.Recommendation.POPULAR),
        pb.Recommendation(item_id="sku-7781", score=0.3125, source=pb.Recommendation.TRENDING),
    ]
    add(vector("RECOMMEND response, split: frame 1 of 2 (MORE)", s2c, Opcode.RECOMMEND, 23,
               pb.RecommendResponse(items=split_items[:2]),
               "A response longer than the body limit is cut between top-level fields (a repeated field between its "
               "elements), never inside one: this frame carries the first two items and the MORE flag.",
               flags=FLAG_MORE))
    add(vector("RECOMMEND response, split: frame 2 of 2", s2c, Opcode.RECOMMEND, 23,
               pb.RecommendResponse(items=split_items[2:], generation=42, is_known_user=True),
               "The last frame: the third item and the scalar fields. Merged in order, the two frames are the "
               "'RECOMMEND response' vector's message."))

    # TRACK.
    add(vector("TRACK request", c2s, Opcode.TRACK, 5,
               pb.TrackRequest(events=[
                   pb.TrackEvent(user_id="u-58213", event="purchase", item_id="sku-1042",
                                 timestamp_micros=1_767_225_600_123_456, value=89.9, idempotency_key="order-77120-1",
                                 properties={"currency": "EUR"}),
                   pb.TrackEvent(user_id="u-58213", event="product_viewed", item_id="sku-2210", value=0.0,
                                 properties={"screen": "search_results"}),
                   pb.TrackEvent(event="add_to_cart", item_id="sku-0412", timestamp_micros=-1),
               ]),
               "Three events: a purchase with every field set; a view at 'now' (timestamp 0) whose optional value is "
               "set to 0; an event without a user id and with a negative timestamp. Each map has one entry, since "
               "the order of map entries is not canonical."))
    add(vector("TRACK response", s2c, Opcode.TRACK, 5,
               pb.TrackResponse(accepted=1, duplicates=1,
                                rejected=[pb.TrackRejection(index=2, reason="user_id is empty")]),
               "One accepted, one duplicate (its idempotency key was seen before), one rejected."))

    # SCORE.
    add(vector("SCORE request", c2s, Opcode.SCORE, 6,
               pb.ScoreRequest(user_id="u-58213", labels=["discount_seeker", "night_owl"], include_windows=True),
               "Two labels and the time windows."))
    add(vector("SCORE response", s2c, Opcode.SCORE, 6,
               pb.ScoreResponse(
                   baseline_probability=0.042,
                   labels=[
                       pb.LabelScore(label_set="value_proposition", label="discount_seeker", score=1.85,
                                     target_probability=0.1197),
                       pb.LabelScore(label_set="timing", label="night_owl", score=-0.25, target_probability=0.0315),
                   ],
                   windows=[pb.WindowScore(window=3, score=0.125), pb.WindowScore(window=17, score=2.4)],
                   generation=42,
                   is_known_user=True,
               ),
               "Label scores, one negative, and two window scores."))

    # PULL, answered in two frames.
    add(vector("PULL request", c2s, Opcode.PULL, 7,
               pb.PullRequest(consumer="braze-bridge-1", maximum_messages=500, lease_seconds=300,
                              channels=["push", "email"]),
               "Up to 500 messages of two channels, leased for five minutes."))
    add(vector("PULL response, frame 1 of 2 (MORE)", s2c, Opcode.PULL, 7,
               pb.PullResponse(messages=[
                   outbox_message(0, "u-58213", "push", "fcm:dGhpcyBpcyBhIHRva2Vu",
                                  [("title", "Back in stock"), ("body", "Your size is back: Trail Runner 2 in black")], 1),
                   outbox_message(1, "u-10077", "email", "ana@example.com",
                                  [("subject", "Spring sale: 20% off"),
                                   ("text_body", "Hi Ana, the Trail Runner 2 you looked at is 20% off until Sunday.")], 2),
               ]),
               "The first frame of a streamed answer: flags has MORE (bit 0). Message ids are batch 7 << 32 | row; "
               "subject and body repeat the fields a consumer needs most (title and text_body here).",
               flags=FLAG_MORE))
    add(vector("PULL response, frame 2 of 2", s2c, Opcode.PULL, 7,
               pb.PullResponse(messages=[
                   outbox_message(2, "u-30512", "sms", "+4915112345678",
                                  [("body", "Trail Runner 2: 20% off until Sunday. Reply STOP to opt out.")], 1),
               ], now_micros=1_767_258_000_000_000),
               "The last frame of the same answer (same request id, no MORE). A client collects the messages of "
               "both frames: three in all. now_micros, the server's clock, arrives in this frame."))

    # ACK.
    first, second = BATCH | 0, BATCH | 1
    add(vector("ACK request", c2s, Opcode.ACK, 8,
               pb.AckRequest(acknowledgements=[
                   pb.Acknowledgement(message_id=first, lease_token=lease_token(first), status=pb.Acknowledgement.DELIVERED),
                   pb.Acknowledgement(message_id=second, lease_token=lease_token(second), status=pb.Acknowledgement.FAILED,
                                      reason="mailbox full"),
                   pb.Acknowledgement(message_id=BATCH | 2, lease_token=1_002, status=pb.Acknowledgement.RETRY,
                                      reason="rate limited"),
                   pb.Acknowledgement(message_id=first, lease_token=lease_token(first), status=pb.Acknowledgement.DELIVERED),
               ]),
               "Four acknowledgements: delivered, failed with a reason, a retry with a lease that was replaced, and a "
               "repeat of the first."))
    add(vector("ACK response", s2c, Opcode.ACK, 8,
               pb.AckResponse(acknowledged=2, already_acknowledged=1, results=[
                   pb.AckResult(),
                   pb.AckResult(),
                   pb.AckResult(code=ErrorCode.STALE_LEASE,
                                message="message 30064771074: lease 1002 is not its latest lease"),
                   pb.AckResult(repeated=True),
               ]),
               "One result per acknowledgement, in order: two settled (code 0 is the default, so an empty result), one "
               "stale lease, one repeat of a successful acknowledgement (code 0, repeated)."))
    for code, text, note in [
        (ErrorCode.STALE_LEASE, "message 30064771074: lease 1002 is not its latest lease",
         "The lease was replaced: the message lapsed and was leased again, or the token was never its."),
        (ErrorCode.LEASE_EXPIRED, "message 30064771074: lease 1002 lapsed and the message expired or died",
         "The lease lapsed and the message's window closed (or its attempts ran out) before the ACK."),
        (ErrorCode.CONFLICTING_ACK, "message 30064771074: lease 1002 was acknowledged with another status",
         "The same lease was acknowledged before with another status (delivered, then failed)."),
        (ErrorCode.UNKNOWN_MESSAGE, "message 17: no served batch has it",
         "No served batch has the message: message id 17 is batch 0, row 17."),
    ]:
        add(vector(f"ACK response: {code.name}", s2c, Opcode.ACK, 8,
                   pb.AckResponse(results=[pb.AckResult(code=code, message=text)]),
                   f"A per-acknowledgement code, carried in AckResult.code, never as an error frame. {note}",
                   error_code=int(code), error_name=code.name))

    # CLOCK and REQUEUE.
    add(vector("CLOCK request", c2s, Opcode.CLOCK, 22, pb.ClockRequest(advance_micros=3_600_000_000),
               "Moves a simulated clock one hour forward (an admin session)."))
    add(vector("CLOCK response", s2c, Opcode.CLOCK, 22,
               pb.ClockResponse(now_micros=1_767_261_600_000_000, is_simulated=True),
               "The clock after the move: 2026-01-01T10:00:00Z."))
    add(vector("REQUEUE request", c2s, Opcode.REQUEUE, 23, pb.RequeueRequest(dead=True),
               "Every dead message whose window is open back to pending (an admin session)."))
    add(vector("REQUEUE response", s2c, Opcode.REQUEUE, 23, pb.RequeueResponse(requeued=12, window_closed=3),
               "Twelve requeued; three stay dead because their window has closed."))

    # STATS.
    add(vector("STATS request", c2s, Opcode.STATS, 10, pb.StatsRequest(), "An empty message: body length 0."))
    add(vector("STATS response", s2c, Opcode.STATS, 10,
               pb.StatsResponse(
                   uptime_millis=86_400_123,
                   generation=42,
                   open_connections=17,
                   accepted_connections=12_345,
                   rejected_connections=2,
                   operations=[
                       pb.OperationStats(opcode=Opcode.PING, name="PING", count=1_000, errors=1, latency_p50_nanos=18_431,
                                         latency_p99_nanos=95_231, latency_p999_nanos=240_127, latency_max_nanos=1_310_719),
                       pb.OperationStats(opcode=Opcode.STATS, name="STATS", count=12, errors=0, latency_p50_nanos=30_719,
                                         latency_p99_nanos=61_439, latency_p999_nanos=61_439, latency_max_nanos=61_439),
                   ],
                   server_version="0.1.0",
               ),
               "Every field set; generation is an optional field, present."))

    # RELOAD.
    add(vector("RELOAD request", c2s, Opcode.RELOAD, 11, pb.ReloadRequest(), "An empty message: body length 0."))
    add(vector("RELOAD response", s2c, Opcode.RELOAD, 11,
               pb.ReloadResponse(previous_generation=41, generation=42, changed=True),
               "A new generation was picked up."))

    # The rest of the worked example.
    add(vector("PING response (worked example)", s2c, Opcode.PING, 8, pb.PingResponse(payload=b"abc"),
               "Answered after RECOMMEND was sent: responses match requests by id."))
    add(vector("RECOMMEND error (worked example)", s2c, Opcode.RECOMMEND, 9,
               pb.ErrorResponse(code=ErrorCode.UNSUPPORTED_OPERATION, message="this server does not serve RECOMMEND"),
               "An error frame: status 1 and an ErrorResponse body.", status=STATUS_ERROR,
               error_code=3, error_name="UNSUPPORTED_OPERATION"))
    return vectors


#: One error frame per code: (opcode, request id, opcode version, message, retry_after_millis, note).
#: Errors about the connection rather than a request use the offending frame's opcode and request id when
#: its header was readable, otherwise opcode 0 and request id 0 (PROTOCOL.md, Errors).
ERROR_CASES = {
    1: (0, 0, 1, "wrong magic 4745 at stream offset 0", 0, "Garbage: no header was readable, so opcode 0 and request id 0."),
    2: (Opcode.PING, 12, 1, "major version 2; this side speaks 1", 0, "The offending frame's header was readable: its opcode and id."),
    3: (Opcode.PULL, 21, 1, "this server does not serve PULL", 0, "The connection stays open."),
    4: (Opcode.PING, 13, 2, "PING version 2; this server serves 1 ... 1", 0, "The error echoes the request's opcode version, 2."),
    5: (Opcode.TRACK, 14, 1, "body of 4194304 bytes; the limit is 1048576", 0, "Sent on reading the header; the body is never read."),
    6: (Opcode.STATS, 1, 1, "STATS before HELLO", 0, "A request before a successful HELLO."),
    7: (Opcode.HELLO, 1, 1, "credential missing or wrong", 0, "The answer to a HELLO with a wrong token; the server then closes."),
    8: (Opcode.RELOAD, 15, 1, "RELOAD needs an admin session", 0, "An admin operation on a client session."),
    9: (Opcode.RECOMMEND, 300, 1, "256 requests in flight; the limit is 256", 10,
        "The 257th request in flight; retry after 10 ms, by when an answer has freed a slot."),
    10: (0, 0, 1, "the server holds 4096 connections", 1_000,
         "Sent instead of GREETING; no frame was read, so opcode 0 and request id 0. Retry after a second."),
    11: (0, 0, 1, "no HELLO within 5000 ms", 0, "A timeout concerns no frame: opcode 0, request id 0."),
    12: (0, 0, 1, "idle for 300000 ms", 0, "A timeout concerns no frame: opcode 0, request id 0."),
    13: (Opcode.TRACK, 16, 1, "body is not a valid aampe.v1.TrackRequest", 0, "The body does not parse."),
    14: (Opcode.SCORE, 17, 1, "label discount_seekr does not exist", 0,
         "What the request names must exist and does not. No operation aamped serves today answers it (SCORE is not "
         "served yet); SIMILAR_ITEMS for an unknown item answers OK with is_known_item false."),
    15: (Opcode.RECOMMEND, 18, 1, "no generation with a recommender is loaded; run `aampectl train recommender`", 1_000,
         "Retry after retry_after_millis: aamped's reload poll interval, 1,000 ms by default."),
    16: (Opcode.SCORE, 19, 1, "the server is shutting down", 0, "A new request during shutdown."),
    17: (Opcode.RELOAD, 20, 1, "reload failed; still serving the previous generation: segment 3 checksum mismatch", 0,
         "The message says how the server failed."),
    18: (Opcode.PING, 8, 1, "request id 8 is still in flight", 0, "A request id reused while in flight."),
    19: (Opcode.GREETING, 3, 1, "clients send requests with status OK; GREETING is not one", 0, "A client sent GREETING."),
    # 20 ... 23 answer single acknowledgements inside an ACK response (the "ACK response: ..." vectors).
    24: (Opcode.ACK, 24, 1, "the outbox journal failed (outbox/7/journal: fdatasync failed: Input/output error); changes "
         "since the last successful sync may be lost, and PULL and ACK are refused until aamped restarts", 0,
         "The journal could not be made durable; every waiting and later PULL and ACK gets this."),
}


def error_vectors(errors: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    vectors = [
        vector("error: HELLO newer than GREETING announces", SERVER_TO_CLIENT, Opcode.HELLO, 1,
               pb.ErrorResponse(code=ErrorCode.UNSUPPORTED_OPERATION_VERSION, message="HELLO version 2; this server serves 1 ... 1"),
               "GREETING lists HELLO with its newest version; a HELLO at a newer version is refused like any other "
               "operation. Connection: open, still awaiting HELLO.",
               opcode_version=2, status=STATUS_ERROR, error_code=4, error_name="UNSUPPORTED_OPERATION_VERSION"),
        vector("error: request id 0", SERVER_TO_CLIENT, Opcode.PING, 0,
               pb.ErrorResponse(code=ErrorCode.INVALID_REQUEST,
                                message="request id 0 is reserved for the server; number requests from 1 (PING)"),
               "A request (HELLO included) with request id 0, which is the server's. Its answer carries id 0 and its "
               "opcode; a code that keeps the connection open tells it from the connection-level errors. "
               "Connection: open.",
               status=STATUS_ERROR, error_code=13, error_name="INVALID_REQUEST"),
    ]
    for row in errors:
        code, name = row["code"], row["name"]
        if code not in ERROR_CASES:
            continue
        opcode, request_id, version, text, retry, note = ERROR_CASES[code]
        vectors.append(
            vector(
                f"error {code} {name}",
                SERVER_TO_CLIENT,
                opcode,
                request_id,
                pb.ErrorResponse(code=code, message=text, retry_after_millis=retry),
                f"{note} Connection: {row['connection']}.",
                opcode_version=version,
                status=STATUS_ERROR,
                error_code=code,
                error_name=name,
            )
        )
    return vectors


def header(opcode: int, request_id: int, body_length: int, *, magic: bytes = MAGIC, major: int = 1) -> bytes:
    return magic + bytes([major, 0]) + int(opcode).to_bytes(2, "little") + bytes([1, 0]) + request_id.to_bytes(4, "little") + body_length.to_bytes(4, "little")


def malformed_inputs() -> List[Dict[str, Any]]:
    ping_body = bytes.fromhex("0a03616263")

    def entry(name: str, description: str, data: bytes, code: ErrorCode, *, end_of_stream: bool = False,
              opcode: int = 0, request_id: int = 0) -> Dict[str, Any]:
        return {
            "name": name,
            "description": description,
            "hex": data.hex(),
            "end_of_stream": end_of_stream,
            "error_code": code.value,
            "error_name": code.name,
            "error_opcode": int(opcode),
            "error_request_id": request_id,
        }

    return [
        entry("garbage bytes", "An HTTP request sent to aamped: the first two bytes are not the magic.",
              b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n", ErrorCode.MALFORMED_FRAME),
        entry("wrong magic", "A PING frame whose magic is \"AM\" instead of \"am\".",
              header(Opcode.PING, 5, len(ping_body), magic=b"AM") + ping_body, ErrorCode.MALFORMED_FRAME),
        entry("major version 2", "A well-formed PING frame of major version 2. Its header is readable, so the error "
              "carries its opcode and request id.", header(Opcode.PING, 5, len(ping_body), major=2) + ping_body,
              ErrorCode.UNSUPPORTED_MAJOR_VERSION, opcode=Opcode.PING, request_id=5),
        entry("truncated body", "A PING frame announcing 5 body bytes, of which the stream carries 3 before it ends. "
              "Not an error until the end of the stream; the header was readable.",
              header(Opcode.PING, 6, len(ping_body)) + ping_body[:3], ErrorCode.MALFORMED_FRAME,
              end_of_stream=True, opcode=Opcode.PING, request_id=6),
        entry("truncated header", "The stream ends 10 bytes into a header.", header(Opcode.PING, 6, 5)[:10],
              ErrorCode.MALFORMED_FRAME, end_of_stream=True),
        entry("4 GiB body length", "A TRACK header announcing 0xFFFFFFFF body bytes, with no body: refused on the "
              "header, before any body is read.", header(Opcode.TRACK, 9, 0xFFFFFFFF), ErrorCode.FRAME_TOO_LARGE,
              opcode=Opcode.TRACK, request_id=9),
        entry("one byte over the body limit", "A TRACK header announcing maximumBodyBytes + 1 = 1048577 body bytes: "
              "refused on the header.", header(Opcode.TRACK, 10, DEFAULT_MAXIMUM_BODY_BYTES + 1),
              ErrorCode.FRAME_TOO_LARGE, opcode=Opcode.TRACK, request_id=10),
    ]


def build() -> Dict[str, Any]:
    text = read_protocol()
    operations, errors = operations_table(text), errors_table(text)
    check_tables(operations, errors)
    vectors = operation_vectors() + error_vectors(errors)

    # The worked example in PROTOCOL.md shows these frames, in this order; each shown byte must match.
    example = [
        "GREETING on the Unix socket (worked example)",
        "HELLO on the Unix socket (worked example)",
        "HELLO_OK (worked example)",
        "PING request (worked example)",
        "RECOMMEND request, empty (worked example)",
        "PING response (worked example)",
        "RECOMMEND error (worked example)",
    ]
    shown = worked_example_frames(text)
    by_name = {entry["name"]: entry for entry in vectors}
    assert len(shown) == len(example), f"PROTOCOL.md's worked example shows {len(shown)} frames"
    for name, prefix in zip(example, shown):
        assert by_name[name]["hex"].startswith(prefix.hex()), f"{name}: PROTOCOL.md shows {prefix.hex()}"

    assert len(by_name) == len(vectors), "vector names must be unique"
    return {
        "about": "Frames of the aamped protocol with their decoded meaning, for testing codecs. Generated by "
                 "tools/clients/python/make_test_vectors.py from proto-spec/PROTOCOL.md and aampe.proto; do not edit.",
        "conventions": {
            "hex": "the whole frame, header and body, as lowercase hex",
            "magic": "bytes 0-1 of the frame, as hex",
            "opcode_name": "the name in PROTOCOL.md's Operations table; null for an opcode it does not define (0)",
            "message": "the body in protobuf's canonical JSON mapping: google.protobuf.json_format.MessageToDict("
                       "message, preserving_proto_field_name=False): lowerCamelCase names, fields at their default "
                       "value omitted unless they have explicit presence, 64-bit integers as strings, bytes as "
                       "base64, enums by name",
            "error_code": "in error frames and malformed inputs: the ErrorResponse code; error_name is its name in "
                          "PROTOCOL.md's Errors table",
            "malformed": "byte streams a receiver must refuse with error_code, answering with error_opcode and "
                         "error_request_id; end_of_stream: the error arises only when the stream ends there; "
                         "the receiver's body limit is maximum_body_bytes",
        },
        "maximum_body_bytes": DEFAULT_MAXIMUM_BODY_BYTES,
        "operations": operations,
        "error_codes": errors,
        "vectors": vectors,
        "malformed": malformed_inputs(),
    }


def render() -> str:
    return json.dumps(build(), indent=2, ensure_ascii=False) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--check", action="store_true", help="compare with the file instead of writing it")
    parser.add_argument("--output", default=OUTPUT, help="where to write (default: proto-spec/test-vectors.json)")
    options = parser.parse_args()
    text = render()
    if options.check:
        try:
            with open(options.output, encoding="utf-8") as file:
                current = file.read()
        except FileNotFoundError:
            current = ""
        if current != text:
            print(f"{options.output} is out of date: run {os.path.relpath(__file__, ROOT)}", file=sys.stderr)
            return 1
        print(f"{options.output} is up to date")
        return 0
    with open(options.output, "w", encoding="utf-8") as file:
        file.write(text)
    print(f"wrote {options.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
