import AampeCore
import AampeTestSupport
import Foundation
import Testing

/// RECOMMEND, SIMILAR_ITEMS and TRACK end to end: import, `aampectl train recommender`, a running aamped,
/// `aampectl recommend/similar/track`, a restart that replays the real-time log, and the audience exports.
///
/// The world is the hand-computed one of the learning tests: u0 A B, u1 A B C, u2 B C, u3 D.
@Suite("recommendations served by aamped", .serialized)
struct RecommendationServingTests {
    static func aampectl(_ arguments: [String]) throws -> (status: Int32, output: String) {
        try DaemonControlTests.aampectl(arguments)
    }

    static func prepare(_ directory: DataDirectory, _ folder: String) throws {
        try prepare(directory, folder, servedList: 0)
    }

    /// Imports the world and trains, keeping `servedList` items per user for answers without scoring.
    static func prepare(_ directory: DataDirectory, _ folder: String, servedList: Int) throws {
        let events = """
            user_id,event,timestamp,item_id
            u0,product_viewed,2026-11-01T10:00:00Z,A
            u0,product_viewed,2026-11-01T10:01:00Z,B
            u1,product_viewed,2026-11-01T10:00:00Z,A
            u1,product_viewed,2026-11-01T10:01:00Z,B
            u1,product_viewed,2026-11-01T10:02:00Z,C
            u2,product_viewed,2026-11-01T10:00:00Z,B
            u2,product_viewed,2026-11-01T10:01:00Z,C
            u3,product_viewed,2026-11-01T10:00:00Z,D

            """
        let catalog = """
            item_id,title,category,price,in_stock,genres
            A,Alpha,x,5,true,Action
            B,Beta,y,10,true,
            C,Gamma,x,20,false,Action|Drama
            D,Delta,x,,,Drama

            """
        let users = """
            user_id,email,email_consent,phone,sms_consent
            u0,u0@example.com,true,+15550000,false
            u1,u1@example.com,false,,
            u2,u2@example.com,true,+15550002,true

            """
        try events.write(toFile: folder + "/events.csv", atomically: true, encoding: .utf8)
        try catalog.write(toFile: folder + "/catalog.csv", atomically: true, encoding: .utf8)
        try users.write(toFile: folder + "/users.csv", atomically: true, encoding: .utf8)
        for arguments in [
            ["import", "events", "--data-dir", directory.path, folder + "/events.csv"],
            ["import", "catalog", "--data-dir", directory.path, folder + "/catalog.csv"],
            ["import", "users", "--data-dir", directory.path, folder + "/users.csv"],
            [
                "train", "recommender", "--data-dir", directory.path, "--half-life-days", "0", "--served-list",
                "\(servedList)",
            ],
        ] {
            let result = try aampectl(arguments)
            guard result.status == 0 else { throw ServingTestError.command(arguments, result.output) }
        }
    }

    enum ServingTestError: Error { case command([String], String) }

    static func items(_ json: String) -> [String] {
        let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        return (object?["items"] as? [[String: Any]])?.compactMap { $0["itemId"] as? String } ?? []
    }

    static func recommend(_ data: String, _ user: String, _ extra: [String] = []) throws -> [String] {
        items(try aampectl(["recommend", "--data-dir", data, user, "--json"] + extra).output)
    }

    @Test(
        "answers, filters, TRACK changes the next answer, and a restart (even kill -9) replays TRACK; the same with served lists of the longest length allowed",
        arguments: [0, Limits.maximumServedListLength]
    )
    func serveTrackRestart(servedList: Int) throws {
        var daemon = try DaemonProcess(prepare: { try Self.prepare($0, $1, servedList: servedList) })
        let data = daemon.dataDirectory.path
        if servedList > 0 {
            let tooLong = try Self.aampectl([
                "train", "recommender", "--data-dir", data, "--served-list", "\(Limits.maximumServedListLength + 1)",
            ])
            #expect(tooLong.status != 0 && tooLong.output.contains("--served-list must be 0 to 256"))
        }
        // u2 (B, C): A from B's neighbours, then D as popular backfill.
        let first = try Self.aampectl(["recommend", "--data-dir", data, "u2", "--json"]).output
        #expect(Self.items(first) == ["A", "D"])
        #expect(first.contains("\"becauseOfItem\": \"B\"") || first.contains("\"becauseOfItem\":\"B\""))
        #expect(try Self.recommend(data, "nobody") == ["B", "A", "C", "D"])  // cold start: popular
        #expect(try Self.recommend(data, "u0", ["--in-stock"]) == ["D"])  // C is out of stock
        #expect(try Self.recommend(data, "u0", ["--attribute", "genres=Drama"]) == ["C", "D"])
        #expect(try Self.recommend(data, "u0", ["--category", "nope"]) == [])
        #expect(try Self.recommend(data, "", ["--context", "A", "--count", "2"]) == ["B", "C"])
        #expect(
            Self.items(try Self.aampectl(["similar", "--data-dir", data, "A", "--json", "--count", "2"]).output) == [
                "B", "C",
            ]
        )

        // u3 bought B: B is now excluded for u3, and B's neighbours (A, C) rank first.
        let track = try Self.aampectl(["track", "--data-dir", data, "u3", "purchase", "B", "--key", "order-1"])
        #expect(track.output.contains("accepted 1, duplicates 0, rejected 0"))
        #expect(
            try Self.aampectl(["track", "--data-dir", data, "u3", "purchase", "B", "--key", "order-1"]).output.contains(
                "duplicates 1"
            )
        )
        #expect(try Self.recommend(data, "u3") == ["A", "C"])
        let log = try String(
            contentsOfFile: try #require(
                FileManager.default.contentsOfDirectory(atPath: data + "/realtime").first.map {
                    data + "/realtime/" + $0
                }
            ),
            encoding: .utf8
        )
        #expect(log.contains("\"messageId\":\"order-1\"") && log.contains("\"product_id\":\"B\""))

        // kill -9, then start again: the log is replayed.
        daemon = try daemon.restarted(hard: true)
        #expect(try Self.recommend(data, "u3") == ["A", "C"])
        // The key is remembered across the restart.
        #expect(
            try Self.aampectl(["track", "--data-dir", data, "u3", "purchase", "B", "--key", "order-1"]).output.contains(
                "duplicates 1"
            )
        )
        // A rejected event names its problem.
        let bad = try Self.aampectl(["track", "--data-dir", data, "", "purchase", "B"])
        #expect(bad.status != 0 && bad.output.contains("user_id is empty"))
        #expect(daemon.stop() == 0)
    }

    /// The response printed by `--json`, without spaces, so a field can be looked for whatever the layout.
    static func compact(_ json: String) -> String { json.filter { !$0.isWhitespace } }

    @Test(
        "SIMILAR_ITEMS for an item new since training answers OK with trending and popular items and is_known_item false"
    )
    func similarUnknownItem() throws {
        let daemon = try DaemonProcess(prepare: Self.prepare)
        let data = daemon.dataDirectory.path
        let known = try Self.aampectl(["similar", "--data-dir", data, "A", "--json"])
        #expect(known.status == 0 && Self.compact(known.output).contains("\"isKnownItem\":true"), "\(known.output)")
        let unknown = try Self.aampectl(["similar", "--data-dir", data, "new-since-training", "--json"])
        #expect(unknown.status == 0, "\(unknown.output)")
        // proto3 JSON leaves out a false bool: is_known_item is false.
        #expect(!unknown.output.contains("isKnownItem"), "\(unknown.output)")
        #expect(Set(Self.items(unknown.output)) == ["A", "B", "C", "D"])
        #expect(!unknown.output.contains("NEIGHBOUR"))
        #expect(daemon.stop() == 0)
    }

    @Test(
        "what operations do to state: TRACK makes a user known at once, a cool-down records answers, filters as PROTOCOL.md states"
    )
    func effects() throws {
        let daemon = try DaemonProcess(prepare: Self.prepare)
        let data = daemon.dataDirectory.path
        // TRACK: a user the generation never saw is known from the next request.
        let before = try Self.aampectl(["recommend", "--data-dir", data, "newcomer", "--json"]).output
        #expect(!before.contains("isKnownUser") && Self.items(before) == ["B", "A", "C", "D"], "\(before)")
        #expect(
            try Self.aampectl(["track", "--data-dir", data, "newcomer", "purchase", "B"]).output.contains("accepted 1")
        )
        let after = try Self.aampectl(["recommend", "--data-dir", data, "newcomer", "--json"]).output
        #expect(Self.compact(after).contains("\"isKnownUser\":true"), "\(after)")
        #expect(Self.items(after) == ["A", "C", "D"], "B is seen now; its neighbours come first")

        // RECOMMEND with a cool-down records what it answered: asked again, those items are left out.
        #expect(try Self.recommend(data, "u2", ["--cooldown-days", "1"]) == ["A", "D"])
        #expect(try Self.recommend(data, "u2", ["--cooldown-days", "1"]) == [])
        #expect(try Self.recommend(data, "u2") == ["A", "D"], "without a cool-down the record does not matter")

        // Attribute names are lowercased (the import lowercases them); values are exact.
        #expect(try Self.recommend(data, "u0", ["--attribute", "GENRES=Drama"]) == ["C", "D"])
        #expect(try Self.recommend(data, "u0", ["--attribute", "genres=drama"]) == [])
        // D has no price: it fails any price bound, however wide.
        #expect(try Self.recommend(data, "nobody", ["--max-price", "1000000"]) == ["B", "A", "C"])
        #expect(try Self.recommend(data, "nobody", ["--min-price", "0"]) == ["B", "A", "C"])
        // D's stock is unknown: it counts as in stock; C is out of stock.
        #expect(try Self.recommend(data, "nobody", ["--in-stock"]) == ["B", "A", "D"])
        #expect(daemon.stop() == 0)
    }

    @Test("audience affinity: the three rankings and the Pinpoint, Braze and CSV files")
    func audienceExports() throws {
        let daemon = try DaemonProcess(prepare: Self.prepare)
        let data = daemon.dataDirectory.path
        let folder = daemon.folder
        let pinpoint = try Self.aampectl([
            "audience", "affinity", "--data-dir", data, "--attribute", "genres=Action", "--export", folder + "/p.csv",
            "--format", "pinpoint", "--holdout-days", "0",
        ])
        #expect(pinpoint.status == 0)
        // Action items: A and C. Users with them: u0 (A), u1 (A, C), u2 (C); u1 has no consented address.
        #expect(pinpoint.output.contains("1 users left out without a consented address"))
        let lines = try String(contentsOfFile: folder + "/p.csv", encoding: .utf8).split(separator: "\n")
        #expect(lines.first == "User.UserId,ChannelType,Address,Attributes.AampeAudience,Metrics.AampeAffinity")
        #expect(lines.contains { $0.hasPrefix("u2,EMAIL,u2@example.com,genres=Action,") })
        #expect(lines.contains { $0.hasPrefix("u2,SMS,+15550002,genres=Action,") })
        #expect(lines.contains { $0.hasPrefix("u0,EMAIL,u0@example.com,") })
        #expect(!lines.contains { $0.hasPrefix("u0,SMS") })  // no SMS consent
        #expect(!lines.contains { $0.hasPrefix("u1,") })

        _ = try Self.aampectl([
            "audience", "affinity", "--data-dir", data, "--attribute", "genres=Action", "--export", folder + "/b.csv",
            "--format", "braze", "--top", "2", "--holdout-days", "0",
        ])
        let braze = try String(contentsOfFile: folder + "/b.csv", encoding: .utf8).split(separator: "\n")
        #expect(braze.first == "external_id,aampe_affinity_genres_action")
        #expect(braze.count == 3)
        // u1 has two Action items (A and C): the strongest.
        #expect(braze[1].hasPrefix("u1,"))

        _ = try Self.aampectl([
            "audience", "affinity", "--data-dir", data, "--attribute", "genres=Action", "--export", folder + "/c.csv",
            "--holdout-days", "0",
        ])
        let csv = try String(contentsOfFile: folder + "/c.csv", encoding: .utf8).split(separator: "\n")
        #expect(csv.first == "user_id,rank,score,count,share")
        #expect(csv[1].hasPrefix("u1,1,") && csv[1].hasSuffix(",2,0.666667"))

        let unknown = try Self.aampectl(["audience", "affinity", "--data-dir", data, "--attribute", "genres=Western"])
        #expect(unknown.status != 0 && unknown.output.contains("known values: Action, Drama"))
    }
}
