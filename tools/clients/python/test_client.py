"""Tests of the Python reference client.

    cd tools/clients/python && python3 -m unittest -v test_client

1. The codec against every frame in proto-spec/test-vectors.json, both ways, and against its malformed inputs.
2. The client against a scripted server on a socket pair: pipelining, out-of-order answers, streamed
   answers, error frames.
3. Live, against a running aamped, when the environment names one (skipped otherwise):
     AAMPED_UNIX=/path/to/aamped.sock                   Unix socket tests
     AAMPED_TCP=127.0.0.1:7420 AAMPED_TOKEN=<token>     TCP tests (token as in aamped's --token-file)
   Each live test prints a line "AAMPED-LIVE-TEST-RAN <name>" when it has run to the end, so a harness can
   tell that they ran rather than were skipped (Tests/aampedTests/PythonReferenceClientTests.swift does).
"""

from __future__ import annotations

import json
import os
import socket
import sys
import threading
import time
import unittest
from typing import Any, Callable, Dict, List, Optional, Tuple, Type

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from google.protobuf import json_format  # noqa: E402
from google.protobuf.message import Message  # noqa: E402

import aampe_pb2 as pb  # noqa: E402
import make_test_vectors  # noqa: E402
from aampe_client import (  # noqa: E402
    FLAG_MORE,
    MAGIC,
    STATUS_ERROR,
    Client,
    ConnectionClosed,
    ErrorCode,
    Frame,
    FrameDecoder,
    Opcode,
    ProtocolError,
    ServerError,
    decode_frame,
    decode_header,
    opcode_name,
    token_hmac,
)

VECTORS_PATH = os.path.normpath(os.path.join(HERE, "..", "..", "..", "proto-spec", "test-vectors.json"))
LIVE_MARKER = "AAMPED-LIVE-TEST-RAN"


def load_vectors() -> Dict[str, Any]:
    with open(VECTORS_PATH, encoding="utf-8") as file:
        return json.load(file)


def message_class(full_name: str) -> Type[Message]:
    """The generated class of a message named like ``aampe.v1.PingRequest``."""
    package, _, name = full_name.rpartition(".")
    assert package == pb.DESCRIPTOR.package, full_name
    return getattr(pb, name)


def live_ran(name: str) -> None:
    print(f"{LIVE_MARKER} {name}", flush=True)


# ---------------------------------------------------------------------------------------------------
# 1. The codec against the vectors


class VectorTests(unittest.TestCase):
    vectors: Dict[str, Any]

    @classmethod
    def setUpClass(cls) -> None:
        cls.vectors = load_vectors()

    def test_file_is_what_the_generator_writes(self) -> None:
        with open(VECTORS_PATH, encoding="utf-8") as file:
            self.assertEqual(file.read(), make_test_vectors.render(), "run tools/clients/python/make_test_vectors.py")

    def test_decoding_every_vector_gives_its_header_and_message(self) -> None:
        for vector in self.vectors["vectors"]:
            with self.subTest(vector["name"]):
                expected = vector["frame"]
                data = bytes.fromhex(vector["hex"])
                header = decode_header(data)
                frame = decode_frame(data, self.vectors["maximum_body_bytes"])
                self.assertEqual(header.magic.hex(), expected["magic"])
                self.assertEqual(frame.major, expected["major"])
                self.assertEqual(frame.flags, expected["flags"])
                self.assertEqual(frame.opcode, expected["opcode"])
                self.assertEqual(opcode_name(frame.opcode), expected["opcode_name"])
                self.assertEqual(frame.opcode_version, expected["opcode_version"])
                self.assertEqual(frame.status, expected["status"])
                self.assertEqual(frame.request_id, expected["request_id"])
                self.assertEqual(header.body_length, expected["body_length"])
                self.assertEqual(frame.body_length, expected["body_length"])
                message = frame.message(message_class(expected["message_type"]))
                self.assertEqual(json_format.MessageToDict(message, preserving_proto_field_name=False), expected["message"])

    def test_encoding_every_header_and_message_gives_its_hex(self) -> None:
        for vector in self.vectors["vectors"]:
            with self.subTest(vector["name"]):
                expected = vector["frame"]
                self.assertEqual(expected["magic"], MAGIC.hex())
                message = json_format.ParseDict(expected["message"], message_class(expected["message_type"])())
                frame = Frame.with_message(
                    expected["opcode"],
                    expected["request_id"],
                    message,
                    flags=expected["flags"],
                    opcode_version=expected["opcode_version"],
                    status=expected["status"],
                )
                self.assertEqual(frame.major, expected["major"])
                self.assertEqual(frame.encode().hex(), vector["hex"])

    def test_a_split_response_merges_to_the_whole(self) -> None:
        by_name = {vector["name"]: vector for vector in self.vectors["vectors"]}
        whole = decode_frame(bytes.fromhex(by_name["RECOMMEND response"]["hex"])).message(pb.RecommendResponse)
        merged = pb.RecommendResponse()
        for name in ("RECOMMEND response, split: frame 1 of 2 (MORE)", "RECOMMEND response, split: frame 2 of 2"):
            merged.MergeFrom(decode_frame(bytes.fromhex(by_name[name]["hex"])).message(pb.RecommendResponse))
        self.assertEqual(merged, whole)

    def test_message_types_follow_the_operations_table(self) -> None:
        operations = {row["opcode"]: row for row in self.vectors["operations"]}
        for vector in self.vectors["vectors"]:
            with self.subTest(vector["name"]):
                frame = vector["frame"]
                if frame["status"] == STATUS_ERROR:
                    self.assertEqual(frame["message_type"], "aampe.v1.ErrorResponse")
                    continue
                row = operations[frame["opcode"]]
                self.assertEqual(frame["opcode_name"], row["name"])
                side = "request" if vector["direction"] == "client_to_server" else "response"
                self.assertEqual(frame["message_type"], row[side])

    def test_every_operation_and_every_error_is_covered(self) -> None:
        seen = {(v["frame"]["opcode"], v["direction"], v["frame"]["status"]) for v in self.vectors["vectors"]}
        for row in self.vectors["operations"]:
            if row["request"]:
                self.assertIn((row["opcode"], "client_to_server", 0), seen, row["name"])
            self.assertIn((row["opcode"], "server_to_client", 0), seen, row["name"])
        streamed = [v for v in self.vectors["vectors"] if v["frame"]["flags"] & FLAG_MORE]
        self.assertTrue(any(v["frame"]["opcode"] == Opcode.PULL for v in streamed), "a PULL frame with MORE")
        codes = [v["error_code"] for v in self.vectors["vectors"] if v["frame"]["status"] == STATUS_ERROR]
        self.assertLessEqual(set(range(1, 20)) | {24}, set(codes))
        per_acknowledgement = {v["error_code"] for v in self.vectors["vectors"] if v["frame"]["opcode"] == Opcode.ACK
                               and v["frame"]["status"] == 0 and "error_code" in v}
        self.assertEqual(per_acknowledgement, {20, 21, 22, 23})

    def test_error_vectors_carry_the_code_and_name_of_the_errors_table(self) -> None:
        table = {row["code"]: row["name"] for row in self.vectors["error_codes"]}
        self.assertEqual(table, {code.value: code.name for code in ErrorCode})
        for vector in self.vectors["vectors"]:
            if vector["frame"]["status"] != STATUS_ERROR:
                continue
            with self.subTest(vector["name"]):
                self.assertEqual(vector["frame"]["message"]["code"], vector["error_code"])
                self.assertEqual(table[vector["error_code"]], vector["error_name"])
                error = ServerError.from_frame(decode_frame(bytes.fromhex(vector["hex"])))
                self.assertEqual((error.code, error.name), (vector["error_code"], vector["error_name"]))
                self.assertEqual(error.message, vector["frame"]["message"]["message"])

    def test_hmac_vector(self) -> None:
        vector = next(v for v in self.vectors["vectors"] if "hmac" in v)
        hello = decode_frame(bytes.fromhex(vector["hex"])).message(pb.HelloRequest)
        self.assertEqual(hello.token_hmac, token_hmac(vector["hmac"]["token"], bytes.fromhex(vector["hmac"]["nonce_hex"])))
        greeting = next(v for v in self.vectors["vectors"] if v["name"] == "GREETING over TCP")
        nonce = decode_frame(bytes.fromhex(greeting["hex"])).message(pb.Greeting).nonce
        self.assertEqual(nonce.hex(), vector["hmac"]["nonce_hex"])

    def test_all_vectors_in_one_stream_byte_by_byte(self) -> None:
        stream = b"".join(bytes.fromhex(v["hex"]) for v in self.vectors["vectors"])
        decoder = FrameDecoder(self.vectors["maximum_body_bytes"])
        frames: List[Frame] = []
        for index in range(len(stream)):
            frames.extend(decoder.feed(stream[index : index + 1]))
        decoder.finish()
        self.assertEqual([frame.encode().hex() for frame in frames], [v["hex"] for v in self.vectors["vectors"]])

    def test_malformed_inputs_are_refused_with_their_code(self) -> None:
        for entry in self.vectors["malformed"]:
            for chunk in (None, 1):
                with self.subTest(entry["name"], chunk=chunk):
                    data = bytes.fromhex(entry["hex"])
                    decoder = FrameDecoder(self.vectors["maximum_body_bytes"])
                    pieces = [data] if chunk is None else [data[i : i + 1] for i in range(len(data))]

                    def run() -> None:
                        for piece in pieces:
                            self.assertEqual(decoder.feed(piece), [])
                        if entry["end_of_stream"]:
                            decoder.finish()

                    with self.assertRaises(ProtocolError) as raised:
                        run()
                    self.assertEqual(raised.exception.code, entry["error_code"])
                    self.assertEqual(ErrorCode(raised.exception.code).name, entry["error_name"])
                    self.assertEqual(raised.exception.opcode, entry["error_opcode"])
                    self.assertEqual(raised.exception.request_id, entry["error_request_id"])
                    if entry["error_code"] == ErrorCode.FRAME_TOO_LARGE:
                        # Judged on the header alone: nothing of the body was awaited or buffered.
                        self.assertEqual(decoder.buffered, 16)


# ---------------------------------------------------------------------------------------------------
# 2. The client against a scripted server


class ScriptedServer:
    """The far end of a socket pair, run on a thread by a script that reads and writes frames."""

    def __init__(self, script: Callable[["ScriptedServer"], None]) -> None:
        self.client_socket, self.server_socket = socket.socketpair()
        self.decoder = FrameDecoder()
        self.received: List[Frame] = []
        self.error: Optional[BaseException] = None
        self.thread = threading.Thread(target=self._run, args=(script,), daemon=True)
        self.thread.start()

    def _run(self, script: Callable[["ScriptedServer"], None]) -> None:
        try:
            script(self)
        except BaseException as error:  # reported by join()
            self.error = error
        finally:
            self.server_socket.close()

    def send(self, *frames: Frame) -> None:
        self.server_socket.sendall(b"".join(frame.encode() for frame in frames))

    def read(self) -> Frame:
        while not self.received:
            data = self.server_socket.recv(65536)
            if not data:
                raise ConnectionClosed("client closed")
            self.received.extend(self.decoder.feed(data))
        return self.received.pop(0)

    def greet_and_accept_hello(self) -> Frame:
        self.send(Frame.with_message(Opcode.GREETING, 0, pb.Greeting(protocol_major=1, nonce=b"n" * 32, transport="unix")))
        hello = self.read()
        assert hello.opcode == Opcode.HELLO, hello
        self.send(Frame.with_message(Opcode.HELLO, hello.request_id, pb.HelloResponse(session_id=5)))
        return hello

    def join(self) -> None:
        self.thread.join(10)
        if self.error:
            raise self.error


class ScriptedServerTests(unittest.TestCase):
    def test_pipelined_requests_answered_out_of_order_with_a_stream(self) -> None:
        def script(server: ScriptedServer) -> None:
            server.greet_and_accept_hello()
            ping, pull, recommend = server.read(), server.read(), server.read()
            assert [ping.opcode, pull.opcode, recommend.opcode] == [Opcode.PING, Opcode.PULL, Opcode.RECOMMEND]
            payload = ping.message(pb.PingRequest).payload
            server.send(
                Frame.with_message(Opcode.PULL, pull.request_id, pb.PullResponse(messages=[pb.OutboxMessage(message_id=1)]), flags=FLAG_MORE),
                Frame.with_message(Opcode.RECOMMEND, recommend.request_id, pb.ErrorResponse(code=3, message="no"), status=STATUS_ERROR),
                Frame.with_message(Opcode.PULL, pull.request_id, pb.PullResponse(messages=[pb.OutboxMessage(message_id=2)]), flags=FLAG_MORE),
                Frame.with_message(Opcode.PING, ping.request_id, pb.PingResponse(payload=payload)),
                Frame.with_message(Opcode.PULL, pull.request_id, pb.PullResponse(messages=[pb.OutboxMessage(message_id=3)])),
            )

        server = ScriptedServer(script)
        with Client(server.client_socket) as client:
            self.assertEqual(client.session.session_id, 5)
            ping = client.send(Opcode.PING, pb.PingRequest(payload=b"xyz"))
            pull = client.send(Opcode.PULL, pb.PullRequest(maximum_messages=3))
            recommend = client.send(Opcode.RECOMMEND, pb.RecommendRequest())
            self.assertEqual(len({ping, pull, recommend}), 3)
            self.assertNotIn(0, {ping, pull, recommend})
            self.assertEqual([r.payload for r in client.receive(ping, pb.PingResponse)], [b"xyz"])
            parts = client.receive(pull, pb.PullResponse)
            self.assertEqual([[m.message_id for m in part.messages] for part in parts], [[1], [2], [3]])
            with self.assertRaises(ServerError) as raised:
                client.receive(recommend, pb.RecommendResponse)
            self.assertEqual((raised.exception.code, raised.exception.name), (3, "UNSUPPORTED_OPERATION"))
            self.assertEqual(raised.exception.request_id, recommend)
            self.assertEqual(client.in_flight, set())
        server.join()

    def test_request_merges_a_stream_that_ends_in_an_error(self) -> None:
        def script(server: ScriptedServer) -> None:
            server.greet_and_accept_hello()
            pull = server.read()
            server.send(
                Frame.with_message(Opcode.PULL, pull.request_id, pb.PullResponse(messages=[pb.OutboxMessage(message_id=1)]), flags=FLAG_MORE),
                Frame.with_message(Opcode.PULL, pull.request_id, pb.PullResponse(messages=[pb.OutboxMessage(message_id=2)])),
            )
            pull = server.read()
            server.send(
                Frame.with_message(Opcode.PULL, pull.request_id, pb.PullResponse(messages=[pb.OutboxMessage(message_id=3)]), flags=FLAG_MORE),
                Frame.with_message(Opcode.PULL, pull.request_id, pb.ErrorResponse(code=17, message="disk"), status=STATUS_ERROR),
            )

        server = ScriptedServer(script)
        with Client(server.client_socket) as client:
            merged = client.request(Opcode.PULL, pb.PullRequest(), pb.PullResponse)
            self.assertEqual([m.message_id for m in merged.messages], [1, 2])
            with self.assertRaises(ServerError) as raised:
                client.request(Opcode.PULL, pb.PullRequest(), pb.PullResponse)
            self.assertEqual((raised.exception.code, raised.exception.message), (17, "disk"))
        server.join()

    def test_hello_carries_the_credential_asked_for(self) -> None:
        hellos: List[pb.HelloRequest] = []

        def script(server: ScriptedServer) -> None:
            hellos.append(server.greet_and_accept_hello().message(pb.HelloRequest))

        for options in ({}, {"token": "secret-token-0123456789"}, {"token": "secret-token-0123456789", "use_hmac": False}):
            server = ScriptedServer(script)
            Client(server.client_socket, client_name="tests", **options).close()
            server.join()
        none, mac, plain = hellos
        self.assertEqual((none.protocol_major, none.client_name, none.WhichOneof("credential")), (1, "tests", None))
        self.assertEqual(mac.token_hmac, token_hmac("secret-token-0123456789", b"n" * 32))
        self.assertEqual(plain.token, b"secret-token-0123456789")

    def test_refused_hello_raises(self) -> None:
        def script(server: ScriptedServer) -> None:
            server.send(Frame.with_message(Opcode.GREETING, 0, pb.Greeting(protocol_major=1, nonce=b"n" * 32)))
            hello = server.read()
            server.send(Frame.with_message(Opcode.HELLO, hello.request_id, pb.ErrorResponse(code=7, message="wrong"), status=STATUS_ERROR))

        server = ScriptedServer(script)
        with self.assertRaises(ServerError) as raised:
            Client(server.client_socket, token="wrong-token-0123456789")
        self.assertEqual(raised.exception.code, ErrorCode.AUTHENTICATION_FAILED)
        server.join()

    def test_too_many_connections_instead_of_greeting_raises(self) -> None:
        def script(server: ScriptedServer) -> None:
            server.send(Frame.with_message(0, 0, pb.ErrorResponse(code=10, message="full", retry_after_millis=1000), status=STATUS_ERROR))

        server = ScriptedServer(script)
        with self.assertRaises(ServerError) as raised:
            Client(server.client_socket)
        self.assertEqual((raised.exception.code, raised.exception.retry_after_millis), (10, 1000))
        server.join()

    def test_connection_level_error_and_close_fail_requests_in_flight(self) -> None:
        def script(server: ScriptedServer) -> None:
            server.greet_and_accept_hello()
            server.read()
            server.send(Frame.with_message(0, 0, pb.ErrorResponse(code=12, message="idle"), status=STATUS_ERROR))

        server = ScriptedServer(script)
        with Client(server.client_socket) as client:
            request_id = client.send(Opcode.PING, pb.PingRequest())
            with self.assertRaises(ServerError) as raised:
                client.receive(request_id, pb.PingResponse)
            self.assertEqual(raised.exception.code, ErrorCode.IDLE_TIMEOUT)
            with self.assertRaises(ServerError):
                client.ping(b"again")
        server.join()

    def test_close_inside_a_frame_is_malformed(self) -> None:
        def script(server: ScriptedServer) -> None:
            server.greet_and_accept_hello()
            ping = server.read()
            server.server_socket.sendall(Frame.with_message(Opcode.PING, ping.request_id, pb.PingResponse(payload=b"abc")).encode()[:-1])

        server = ScriptedServer(script)
        with Client(server.client_socket) as client:
            with self.assertRaises(ProtocolError) as raised:
                client.ping(b"abc")
            self.assertEqual(raised.exception.code, ErrorCode.MALFORMED_FRAME)
        server.join()


# ---------------------------------------------------------------------------------------------------
# 3. Live, against a running aamped

UNIX_PATH = os.environ.get("AAMPED_UNIX", "")
TCP_ADDRESS = os.environ.get("AAMPED_TCP", "")
TCP_TOKEN = os.environ.get("AAMPED_TOKEN", "")
SKIP_UNIX = "live test: set AAMPED_UNIX to the Unix socket of a running aamped to run it"
SKIP_TCP = "live test: set AAMPED_TCP=host:port and AAMPED_TOKEN=<client token> of a running aamped to run it"


def tcp_address() -> Tuple[str, int]:
    host, _, port = TCP_ADDRESS.rpartition(":")
    return host.strip("[]"), int(port)


@unittest.skipUnless(UNIX_PATH, SKIP_UNIX)
class LiveUnixTests(unittest.TestCase):
    def setUp(self) -> None:
        self.client = Client.connect_unix(UNIX_PATH, client_name="test_client.py")
        self.addCleanup(self.client.close)

    def test_greeting_and_hello(self) -> None:
        greeting = self.client.greeting
        self.assertEqual(greeting.protocol_major, 1)
        self.assertEqual(greeting.transport, "unix")
        self.assertEqual(len(greeting.nonce), 32)
        self.assertGreater(greeting.limits.maximum_body_bytes, 0)
        served = {op.opcode: op.name for op in greeting.operations}
        self.assertEqual(served.get(Opcode.PING), "PING")
        self.assertGreater(self.client.session.session_id, 0)
        live_ran("unix_greeting")

    def test_ping_round_trip(self) -> None:
        payload = bytes(range(256)) * 4
        self.assertEqual(self.client.ping(payload), payload)
        self.assertEqual(self.client.ping(b""), b"")
        live_ran("unix_ping")

    def test_stats(self) -> None:
        self.client.ping(b"count me")
        stats = self.client.stats()
        self.assertTrue(stats.server_version)
        self.assertEqual(stats.server_version, self.client.greeting.server_version)
        self.assertGreaterEqual(stats.open_connections, 1)
        self.assertGreaterEqual(stats.accepted_connections, stats.open_connections)
        self.assertLess(stats.uptime_millis, 24 * 3600 * 1000)
        ping = next(op for op in stats.operations if op.opcode == Opcode.PING)
        self.assertEqual(ping.name, "PING")
        self.assertGreaterEqual(ping.count, 1)
        self.assertLessEqual(ping.errors, ping.count)
        self.assertLessEqual(ping.latency_p50_nanos, ping.latency_max_nanos)
        live_ran("unix_stats")

    def test_unsupported_operation(self) -> None:
        # aamped serves every opcode PROTOCOL.md defines, so an undefined one stands for an operation a
        # server lacks (PROTOCOL.md, Versioning: "Unknown opcodes get UNSUPPORTED_OPERATION").
        with self.assertRaises(ServerError) as raised:
            self.client.request(99, pb.PingRequest(payload=b"x"), pb.PingResponse)
        self.assertEqual(raised.exception.code, ErrorCode.UNSUPPORTED_OPERATION)
        self.assertEqual(raised.exception.opcode, 99)
        self.assertEqual(self.client.ping(b"still open"), b"still open")  # the connection stays open
        live_ran("unix_unsupported_operation")

    def test_pipelining(self) -> None:
        first = self.client.send(Opcode.PING, pb.PingRequest(payload=b"first"))
        # No generation is loaded, so RECOMMEND answers UNAVAILABLE, between answers that succeed.
        recommend = self.client.send(Opcode.RECOMMEND, pb.RecommendRequest(user_id="u-1", count=3))
        stats = self.client.send(Opcode.STATS, pb.StatsRequest())
        last = self.client.send(Opcode.PING, pb.PingRequest(payload=b"last"))
        self.assertEqual(self.client.receive(last, pb.PingResponse)[0].payload, b"last")
        self.assertTrue(self.client.receive(stats, pb.StatsResponse)[0].server_version)
        with self.assertRaises(ServerError) as raised:
            self.client.receive(recommend, pb.RecommendResponse)
        self.assertEqual(raised.exception.code, ErrorCode.UNAVAILABLE)
        self.assertEqual(self.client.receive(first, pb.PingResponse)[0].payload, b"first")
        live_ran("unix_pipelining")

    def test_unsupported_operation_version(self) -> None:
        with self.assertRaises(ServerError) as raised:
            self.client.request(Opcode.PING, pb.PingRequest(), pb.PingResponse, opcode_version=200)
        self.assertEqual(raised.exception.code, ErrorCode.UNSUPPORTED_OPERATION_VERSION)
        live_ran("unix_unsupported_operation_version")

    def _error(self, opcode: int, message: Message, response_type: Type[Message]) -> ServerError:
        """Sends ``message`` and returns the error it is answered with (failing if it is answered OK)."""
        with self.assertRaises(ServerError) as raised:
            self.client.request(opcode, message, response_type)
        return raised.exception

    def test_unavailable_carries_a_retry_hint(self) -> None:
        # No generation is loaded. PROTOCOL.md: retry_after_millis 0 means "do not retry", so UNAVAILABLE
        # carries aamped's reload poll interval (1,000 ms by default), within which a new generation loads.
        error = self._error(Opcode.RECOMMEND, pb.RecommendRequest(user_id="u-1", count=3), pb.RecommendResponse)
        self.assertEqual((error.code, error.retry_after_millis), (ErrorCode.UNAVAILABLE, 1000))
        error = self._error(Opcode.SIMILAR_ITEMS, pb.SimilarItemsRequest(item_id="sku-1", count=3), pb.SimilarItemsResponse)
        self.assertEqual((error.code, error.retry_after_millis), (ErrorCode.UNAVAILABLE, 1000))
        live_ran("unix_unavailable_retry")

    def test_ids_in_lists_at_the_limit_and_over(self) -> None:
        # The body is checked before availability: an id of 1,024 bytes passes (UNAVAILABLE, no generation),
        # one of 1,025 is INVALID_REQUEST naming the list entry.
        def recommend(id_: str) -> List[Tuple[str, pb.RecommendRequest]]:
            return [
                ("exclude_items[0]", pb.RecommendRequest(count=1, exclude_items=[id_])),
                ("context_items[1]", pb.RecommendRequest(count=1, context_items=["a", id_])),
                ("filter.categories[0]", pb.RecommendRequest(count=1, filter=pb.ItemFilter(categories=[id_]))),
                ("filter.attributes[0].name",
                 pb.RecommendRequest(count=1, filter=pb.ItemFilter(attributes=[pb.AttributeCondition(name=id_, values=["x"])]))),
                ("filter.attributes[0].values[0]",
                 pb.RecommendRequest(count=1, filter=pb.ItemFilter(attributes=[pb.AttributeCondition(name="x", values=[id_])]))),
            ]

        for (field, at_limit), (_, over) in zip(recommend("i" * 1024), recommend("i" * 1025)):
            self.assertEqual(self._error(Opcode.RECOMMEND, at_limit, pb.RecommendResponse).code, ErrorCode.UNAVAILABLE, field)
            error = self._error(Opcode.RECOMMEND, over, pb.RecommendResponse)
            self.assertEqual(error.code, ErrorCode.INVALID_REQUEST, field)
            self.assertIn(f"{field} is 1025 bytes", error.message)
        similar = pb.SimilarItemsRequest(item_id="sku-1", count=1, filter=pb.ItemFilter(categories=["c" * 1025]))
        error = self._error(Opcode.SIMILAR_ITEMS, similar, pb.SimilarItemsResponse)
        self.assertEqual(error.code, ErrorCode.INVALID_REQUEST)
        self.assertIn("filter.categories[0]", error.message)
        live_ran("unix_list_ids")

    def test_list_entries_are_counted_together(self) -> None:
        # 400 + 400 + 100 + (1 name + 99 values) = 1,000 entries: at the limit. One more anywhere is over.
        def request(extra: int) -> pb.RecommendRequest:
            return pb.RecommendRequest(
                count=1,
                exclude_items=[f"e{i}" for i in range(400)],
                context_items=[f"c{i}" for i in range(400 + extra)],
                filter=pb.ItemFilter(categories=[f"k{i}" for i in range(100)],
                                     attributes=[pb.AttributeCondition(name="color", values=[f"v{i}" for i in range(99)])]),
            )

        self.assertEqual(self._error(Opcode.RECOMMEND, request(0), pb.RecommendResponse).code, ErrorCode.UNAVAILABLE)
        error = self._error(Opcode.RECOMMEND, request(1), pb.RecommendResponse)
        self.assertEqual(error.code, ErrorCode.INVALID_REQUEST)
        self.assertIn("1001 entries together", error.message)
        live_ran("unix_list_entries")

    def test_track_limits_at_max_and_over(self) -> None:
        earliest = 946_684_800 * 1_000_000  # 2000-01-01T00:00:00Z
        # "Ahead of the server's clock" is ahead of aamped's one clock (simulated when it runs with
        # --simulated-clock: TRACK stamps and checks events on it, as the outbox and the triggers do).
        now = self.client.clock().now_micros
        day = 86_400 * 1_000_000

        def event(**fields: Any) -> pb.TrackEvent:
            values: Dict[str, Any] = {"user_id": "u-limits", "event": "product_viewed", "item_id": "sku-1"}
            values.update(fields)
            return pb.TrackEvent(**values)

        cases = [  # (event, reason it is refused for, or None when it is accepted)
            (event(event="e" * 128), None),
            (event(event="e" * 129), "event is longer than 128 bytes"),
            (event(timestamp_micros=earliest), None),
            (event(timestamp_micros=earliest - 1), "timestamp_micros is before 2000-01-01"),
            (event(timestamp_micros=now + day - 60_000_000), None),
            (event(timestamp_micros=now + day + 60_000_000), "timestamp_micros is more than 24 hours ahead"),
            (event(user_id="u" * 1024), None),
            (event(user_id="u" * 1025), "user_id is longer than 1024 bytes"),
            (event(item_id="i" * 1024), None),
            (event(item_id="i" * 1025), "item_id is longer than 1024 bytes"),
            (event(idempotency_key="k" * 1024), None),
            (event(idempotency_key="k" * 1025), "idempotency_key is longer than 1024 bytes"),
            (event(properties={f"p{i}": "v" for i in range(64)}), None),
            (event(properties={f"p{i}": "v" for i in range(65)}), "properties has 65 entries, more than the limit of 64"),
            (event(properties={"p": "v" * 1024}), None),
            (event(properties={"p": "v" * 1025}), "property 'p' is longer than 1024 bytes"),
        ]
        response = self.client.request(Opcode.TRACK, pb.TrackRequest(events=[case[0] for case in cases]), pb.TrackResponse)
        refused = {rejection.index: rejection.reason for rejection in response.rejected}
        for index, (_, reason) in enumerate(cases):
            if reason is None:
                self.assertNotIn(index, refused, f"event {index} is at the limit and must be accepted")
            else:
                self.assertTrue(refused.get(index, "").startswith(reason), f"event {index}: {refused.get(index)!r}")
        self.assertEqual(response.accepted, sum(1 for _, reason in cases if reason is None))
        live_ran("unix_track_limits")

    def test_request_id_zero_is_refused(self) -> None:
        # Request id 0 is the server's: INVALID_REQUEST with id 0, and the connection stays open.
        request_id = self.client.send(Opcode.PING, pb.PingRequest(payload=b"zero"), request_id=0)
        with self.assertRaises(ServerError) as raised:
            self.client.receive(request_id, pb.PingResponse)
        self.assertEqual((raised.exception.code, raised.exception.request_id), (ErrorCode.INVALID_REQUEST, 0))
        self.assertEqual(self.client.ping(b"open"), b"open")
        live_ran("unix_request_id_zero")

    def test_hello_newer_than_the_greeting_is_refused(self) -> None:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(10)
            sock.connect(UNIX_PATH)
            decoder = FrameDecoder()
            frames: List[Frame] = []

            def next_frame() -> Frame:
                while not frames:
                    data = sock.recv(65536)
                    self.assertTrue(data, "the server closed the connection")
                    frames.extend(decoder.feed(data))
                return frames.pop(0)

            greeting = next_frame().message(pb.Greeting)
            hello_version = next(op.newest_version for op in greeting.operations if op.opcode == Opcode.HELLO)
            hello = pb.HelloRequest(protocol_major=1, client_name="test_client.py")
            sock.sendall(Frame.with_message(Opcode.HELLO, 1, hello, opcode_version=hello_version + 1).encode())
            refused = next_frame()
            self.assertEqual((refused.status, refused.request_id, refused.opcode_version), (STATUS_ERROR, 1, hello_version + 1))
            self.assertEqual(ServerError.from_frame(refused).code, ErrorCode.UNSUPPORTED_OPERATION_VERSION)
            sock.sendall(Frame.with_message(Opcode.HELLO, 2, hello, opcode_version=hello_version).encode())
            accepted = next_frame()
            self.assertEqual((accepted.status, accepted.request_id), (0, 2))
        live_ran("unix_hello_version")

    def test_reload(self) -> None:
        if self.client.session.is_admin:
            response = self.client.reload()
            self.assertIsInstance(response, pb.ReloadResponse)
        else:
            with self.assertRaises(ServerError) as raised:
                self.client.reload()
            self.assertEqual(raised.exception.code, ErrorCode.PERMISSION_DENIED)
        live_ran("unix_reload")

    def test_outbox_pull_and_ack(self) -> None:
        # The daemon serves OutboxServingTests' batch 7 with T an hour ago (rows 0 and 1 due, row 1's window
        # ending first) on the system clock.
        before = int(time.time() * 1_000_000)
        pulled = self.client.pull("test_client.py", 10, 60)
        after = int(time.time() * 1_000_000)
        self.assertEqual([m.message_id for m in pulled.messages], [(7 << 32) | 1, (7 << 32) | 0])
        self.assertTrue(before - 1_000_000 <= pulled.now_micros <= after + 1_000_000, pulled.now_micros)
        first, second = pulled.messages
        self.assertEqual((first.user_id, first.channel, first.attempt), ("u1", "push", 1))
        self.assertEqual(first.lease_until_micros, pulled.now_micros + 60_000_000)
        self.assertEqual([(f.name, f.text) for f in first.fields], [("subject", 'Hi "u1"'), ("body", "Your cart\nmisses you")])
        acks = [
            pb.Acknowledgement(message_id=first.message_id, lease_token=first.lease_token, status=pb.Acknowledgement.DELIVERED),
            pb.Acknowledgement(message_id=second.message_id, lease_token=second.lease_token, status=pb.Acknowledgement.FAILED,
                               reason="bounced"),
            pb.Acknowledgement(message_id=first.message_id, lease_token=first.lease_token, status=pb.Acknowledgement.DELIVERED),
            pb.Acknowledgement(message_id=first.message_id, lease_token=first.lease_token + 100,
                               status=pb.Acknowledgement.DELIVERED),
        ]
        answer = self.client.ack(acks)
        self.assertEqual((answer.acknowledged, answer.already_acknowledged), (2, 1))
        self.assertEqual([r.code for r in answer.results], [0, 0, 0, ErrorCode.STALE_LEASE])
        self.assertTrue(answer.results[2].repeated)
        self.assertEqual(len(self.client.pull("test_client.py", 10, 60).messages), 0)
        with self.assertRaises(ServerError) as raised:
            self.client.ack([pb.Acknowledgement(message_id=1, lease_token=1)])
        self.assertEqual(raised.exception.code, ErrorCode.INVALID_REQUEST)
        if self.client.session.is_admin:
            self.assertFalse(self.client.clock().is_simulated)
            with self.assertRaises(ServerError) as raised:
                self.client.clock(advance_micros=1_000_000)
            self.assertEqual(raised.exception.code, ErrorCode.INVALID_REQUEST)
        live_ran("unix_outbox")


@unittest.skipUnless(TCP_ADDRESS and TCP_TOKEN, SKIP_TCP)
class LiveTCPTests(unittest.TestCase):
    def test_ping_with_token_hmac(self) -> None:
        with Client.connect_tcp(*tcp_address(), token=TCP_TOKEN) as client:
            self.assertEqual(client.greeting.transport, "tcp")
            self.assertEqual(client.ping(b"over tcp"), b"over tcp")
        live_ran("tcp_hmac_ping")

    def test_ping_with_plain_token(self) -> None:
        with Client.connect_tcp(*tcp_address(), token=TCP_TOKEN, use_hmac=False) as client:
            self.assertEqual(client.ping(b"plain"), b"plain")
        live_ran("tcp_plain_token_ping")

    def test_reload_needs_admin(self) -> None:
        with Client.connect_tcp(*tcp_address(), token=TCP_TOKEN) as client:
            self.assertFalse(client.session.is_admin)
            with self.assertRaises(ServerError) as raised:
                client.reload()
            self.assertEqual(raised.exception.code, ErrorCode.PERMISSION_DENIED)
            self.assertEqual(client.ping(b"open"), b"open")
        live_ran("tcp_reload_needs_admin")

    def _refused_hello(self, hello: pb.HelloRequest) -> None:
        """Sends ``hello`` by hand and checks the server answers AUTHENTICATION_FAILED (7), then closes."""
        with socket.create_connection(tcp_address(), timeout=10) as sock:
            decoder = FrameDecoder()
            frames: List[Frame] = []

            def next_frame() -> Optional[Frame]:
                while not frames:
                    data = sock.recv(65536)
                    if not data:
                        decoder.finish()
                        return None
                    frames.extend(decoder.feed(data))
                return frames.pop(0)

            greeting = next_frame()
            assert greeting is not None
            self.assertEqual(greeting.opcode, Opcode.GREETING)
            nonce = greeting.message(pb.Greeting).nonce
            if hello.WhichOneof("credential") == "token_hmac":
                hello.token_hmac = token_hmac(hello.token_hmac, nonce)  # the wrong token, keyed properly
            sock.sendall(Frame.with_message(Opcode.HELLO, 41, hello).encode())
            answer = next_frame()
            assert answer is not None
            self.assertEqual((answer.opcode, answer.request_id, answer.status), (Opcode.HELLO, 41, STATUS_ERROR))
            error = ServerError.from_frame(answer)
            self.assertEqual((error.code, error.name), (7, "AUTHENTICATION_FAILED"))
            self.assertIsNone(next_frame(), "the server closes the connection after AUTHENTICATION_FAILED")

    def test_wrong_token_fails_authentication_and_closes(self) -> None:
        wrong = (TCP_TOKEN + "-wrong").encode()
        self._refused_hello(pb.HelloRequest(protocol_major=1, client_name="test_client.py", token_hmac=wrong))
        self._refused_hello(pb.HelloRequest(protocol_major=1, client_name="test_client.py", token=wrong))
        with self.assertRaises(ServerError) as raised:
            Client.connect_tcp(*tcp_address(), token=TCP_TOKEN + "-wrong")
        self.assertEqual(raised.exception.code, ErrorCode.AUTHENTICATION_FAILED)
        live_ran("tcp_wrong_token")

    def test_missing_credential_fails_authentication(self) -> None:
        self._refused_hello(pb.HelloRequest(protocol_major=1, client_name="test_client.py"))
        live_ran("tcp_missing_credential")


if __name__ == "__main__":
    unittest.main()
