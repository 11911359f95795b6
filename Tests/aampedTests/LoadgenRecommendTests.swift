import AampeProtocol
import AampeTestSupport
import Foundation
import Testing

/// `aampe-loadgen --mix recommend=W`, run as tools/bench-recommender runs it: against a daemon serving the
/// hand-computed world of `RecommendationServingTests`, against one with nothing to recommend from, and with
/// options that do not fit together.
@Suite("aampe-loadgen RECOMMEND", .serialized)
struct LoadgenRecommendTests {
    /// Runs the load generator and returns its exit status, stdout and stderr apart.
    static func loadgen(_ arguments: [String]) throws -> (status: Int32, output: String, errors: String) {
        let result = try Product.run("aampe-loadgen", arguments)
        return (result.status, result.standardOutput, result.standardError)
    }

    static func report(_ text: String) throws -> [String: Any] {
        try #require(
            text.split(separator: "\n").last.flatMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            },
            "no JSON report from loadgen:\n\(text)"
        )
    }

    static func usersFile(in folder: String, _ users: [String]) throws -> String {
        let path = folder + "/users.txt"
        try (users.joined(separator: "\r\n") + "\n\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("every RECOMMEND is answered OK, for known and unknown users from a file, with the filter applied")
    func answersFromUsersFile() throws {
        let daemon = try DaemonProcess(prepare: RecommendationServingTests.prepare)
        let users = try Self.usersFile(in: daemon.folder, ["u0", "u1", "u2", "u3", "stranger"])
        let run = try Self.loadgen([
            "--unix", daemon.socketPath, "--mix", "recommend=3,ping=1", "--users-file", users,
            "--recommend-count", "2", "--recommend-max-price", "100", "--connections", "2", "--pipeline", "4",
            "--requests", "2000", "--warmup", "0", "--json",
        ])
        #expect(run.status == 0, "\(run.output)\n\(run.errors)")
        let report = try Self.report(run.output)
        #expect(report["errors"] as? Int == 0, "\(run.output)")
        #expect(report["requests"] as? Int == 2000)
        let recommend = try #require(report["recommend"] as? [String: Any], "\(run.output)")
        #expect(recommend["users"] as? Int == 5)
        #expect(recommend["count"] as? Int == 2)
        #expect(recommend["maximum_price"] as? Double == 100)
        // Only u1 is left with nothing: it has seen A, B and C, and D has no price, which fails any bound.
        // One user in five: about 300 of the 1,500 RECOMMENDs.
        let empty = try #require(recommend["empty_answers"] as? Int)
        #expect((200...400).contains(empty), "\(empty)")
        // Two items of one-letter ids with scores: more than a bare generation number, under 100 bytes.
        let bytes = try #require(recommend["response_bytes_mean"] as? Double)
        #expect(bytes > 10 && bytes < 100, "\(bytes)")
        // The mix is 3:1 on each connection; the shared budget of 2,000 splits unevenly between the two.
        let perOperation = try #require(report["per_operation"] as? [String: [String: Any]])
        let recommends = try #require(perOperation["recommend"]?["count"] as? Int)
        let pings = try #require(perOperation["ping"]?["count"] as? Int)
        #expect(recommends + pings == 2000)
        #expect((1400...1600).contains(recommends), "\(recommends)")
        #expect(daemon.stop() == 0)
    }

    @Test("answers that a filter leaves without items are counted, not failed")
    func emptyAnswersCounted() throws {
        let daemon = try DaemonProcess(prepare: RecommendationServingTests.prepare)
        let run = try Self.loadgen([
            "--unix", daemon.socketPath, "--mix", "recommend=1", "--users-pattern", "u%d", "--users-count", "4",
            "--recommend-category", "no-such-category", "--requests", "200", "--warmup", "0", "--json",
        ])
        #expect(run.status == 0, "\(run.output)\n\(run.errors)")
        let report = try Self.report(run.output)
        let recommend = try #require(report["recommend"] as? [String: Any], "\(run.output)")
        #expect(recommend["empty_answers"] as? Int == 200)
        #expect(daemon.stop() == 0)
    }

    @Test("error frames count as errors: exit status 1, the code and the server's message in the report")
    func errorFramesAreErrors() throws {
        // No generation: RECOMMEND is answered UNAVAILABLE.
        let daemon = try DaemonProcess()
        let run = try Self.loadgen([
            "--unix", daemon.socketPath, "--mix", "recommend=1", "--users-pattern", "u%07d", "--users-count", "1000",
            "--requests", "100", "--warmup", "0", "--json",
        ])
        #expect(run.status == 1, "\(run.output)\n\(run.errors)")
        let report = try Self.report(run.output)
        #expect((report["error_frames"] as? Int ?? 0) >= 100, "\(run.output)")
        #expect(report["ok"] as? Int == 0)
        let details = try #require(report["error_detail"] as? [[String: Any]])
        #expect(details.contains { $0["code"] as? Int == Int(ErrorCode.unavailable.rawValue) }, "\(details)")
        #expect(run.errors.contains("ERRORS"), "\(run.errors)")
        #expect(daemon.stop() == 0)
    }

    @Test(
        "options that do not fit together are refused with exit status 2 and a message naming the fix",
        arguments: [
            (["--mix", "recommend=1"], "give --users-file FILE"),
            (["--mix", "recommend=1", "--users-count", "5"], "--users-count goes with --users-pattern"),
            (["--mix", "recommend=1", "--users-pattern", "u%d%d", "--users-count", "5"], "more than one %d"),
            (["--mix", "recommend=1", "--users-pattern", "u%5d", "--users-count", "5"], "expected %d or %0Nd"),
            (["--mix", "recommend=1", "--users-pattern", "u%d", "--users-file", "x"], "not both"),
            (["--recommend-count", "5"], "add recommend=W to --mix"),
            (["--users-pattern", "u%d", "--users-count", "5"], "add recommend=W or score=W to --mix"),
            (["--mix", "score=1"], "give --users-file FILE"),
            (["--score-goal", "open"], "add score=W to --mix"),
            (["--mix", "score=1", "--recommend-count", "5"], "add recommend=W to --mix"),
            (
                ["--mix", "score=1,recommend=1", "--users-pattern", "u%d", "--users-count", "5"],
                "measure them in separate runs"
            ),
            (
                ["--mix", "recommend=1", "--users-pattern", "u%d", "--users-count", "5", "--recommend-count", "0"],
                "expected an integer >= 1"
            ),
            (
                [
                    "--mix", "recommend=1", "--users-pattern", "u%d", "--users-count", "5", "--recommend-min-price",
                    "5",
                    "--recommend-max-price", "2",
                ], "no item could match"
            ),
            (
                [
                    "--mix", "recommend=1", "--users-pattern", "u%d", "--users-count", "5", "--recommend-max-price",
                    "-1",
                ],
                "expected a price >= 0"
            ),
        ]
    )
    func usageErrors(arguments: [String], message: String) throws {
        let run = try Self.loadgen(["--self-test"] + arguments)
        #expect(run.status == 2, "\(run.errors)")
        #expect(run.errors.contains(message), "\(run.errors)")
    }

    @Test("SCORE frames for drawn users: the spliced bodies decode to the request, and every request is answered")
    func scoreFrames() throws {
        // The frame writer checks its spliced bodies against SwiftProtobuf's before the run (a trap
        // otherwise); the echo responder answers every frame, so a wrong length would lose requests.
        let run = try Self.loadgen([
            "--self-test", "--mix", "score=1", "--users-pattern", "user-%07d", "--users-count", "1000",
            "--score-goal", "open", "--score-labels", "tone=playful,offer=none", "--score-windows",
            "--requests", "500", "--warmup", "0", "--json", "--quiet",
        ])
        #expect(run.status == 0, "\(run.output)\n\(run.errors)")
        #expect(run.output.contains("\"score\":{\"goal\":\"open\""), "\(run.output)")
        #expect(run.output.contains("\"ok\":500"), "\(run.output)")
    }

    @Test("a users file without ids, or with an id over 1,024 bytes, stops the run before it starts")
    func badUsersFiles() throws {
        let folder = FileManager.default.temporaryDirectory.path + "/loadgen-users-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let empty = try Self.usersFile(in: folder, ["  ", ""])
        let run = try Self.loadgen(["--self-test", "--mix", "recommend=1", "--users-file", empty])
        #expect(run.status != 0)
        #expect(run.errors.contains("holds no user ids"), "\(run.errors)")
        let long = try Self.usersFile(in: folder, ["u1", String(repeating: "x", count: 1025)])
        let longRun = try Self.loadgen(["--self-test", "--mix", "recommend=1", "--users-file", long])
        #expect(longRun.status != 0)
        #expect(longRun.errors.contains("line 2"), "\(longRun.errors)")
        // 1,024 bytes is the limit itself: accepted, and the frame with a two-byte length is well formed.
        let limit = try Self.usersFile(in: folder, ["u1", String(repeating: "x", count: 1024)])
        let limitRun = try Self.loadgen([
            "--self-test", "--mix", "recommend=1", "--users-file", limit, "--requests", "100", "--warmup", "0",
        ])
        #expect(limitRun.status == 0, "\(limitRun.output)\n\(limitRun.errors)")
    }
}
