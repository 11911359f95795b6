import AampeCore
import AampeTestSupport
import Foundation
import Testing

/// Catalog freshness end to end: `aampectl import catalog` and TRACK `item_updated` reach a running
/// aamped without a retrain, survive a `kill -9`, and leave the overlay when a generation holds them.
///
/// The world is ``RecommendationServingTests``': popularity B 3, A 2, C 2, D 1; A x 5 in stock Action,
/// B y 10 in stock, C x 20 out of stock Action|Drama, D x no price, stock unknown, Drama.
@Suite("catalog freshness served by aamped", .serialized)
struct CatalogFreshnessServingTests {
    static func aampectl(_ arguments: [String]) throws -> (status: Int32, output: String) {
        try DaemonControlTests.aampectl(arguments)
    }

    static func recommend(_ data: String, _ extra: [String] = []) throws -> [String] {
        try RecommendationServingTests.recommend(data, "nobody", extra)
    }

    static func importCatalog(_ data: String, _ folder: String, _ csv: String) throws -> String {
        let path = folder + "/catalog-\(UUID().uuidString.prefix(6)).csv"
        try csv.write(toFile: path, atomically: true, encoding: .utf8)
        let result = try aampectl(["import", "catalog", "--data-dir", data, path])
        #expect(result.status == 0, "\(result.output)")
        return result.output
    }

    @Test("import catalog and TRACK item_updated change the next answer, survive kill -9, and a retrain folds rows in")
    func freshness() throws {
        var daemon = try DaemonProcess(prepare: RecommendationServingTests.prepare)
        let data = daemon.dataDirectory.path
        #expect(try Self.recommend(data, ["--in-stock"]) == ["B", "A", "D"])

        // C comes into stock at 7, and E (new since training, a new category and price 3) arrives.
        let started = ContinuousClock.now
        let output = try Self.importCatalog(
            data,
            daemon.folder,
            """
            item_id,title,category,price,in_stock,genres
            C,Gamma,x,7,true,Action|Drama
            E,Epsilon,z,3,true,Action

            """
        )
        let answer = try Self.recommend(data, ["--in-stock"])
        let elapsed = ContinuousClock.now - started
        #expect(output.contains("aamped serves the catalog changes"), "\(output)")
        // E is backfilled after every known item: nothing is known of its popularity.
        #expect(answer == ["B", "A", "C", "D", "E"])
        #expect(elapsed < .seconds(5), "import to answer took \(elapsed)")
        print("catalog freshness: import catalog to an answer with the change: \(elapsed)")
        #expect(
            try Self.recommend(data, ["--max-price", "8", "--category", "x", "--category", "z"]) == ["A", "C", "E"]
        )
        #expect(try Self.recommend(data, ["--category", "z"]) == ["E"])
        #expect(try Self.recommend(data, ["--attribute", "genres=Action"]) == ["A", "C", "E"])
        #expect(try Self.recommend(data, ["--attribute", "genres=Action", "--exclude", "E"]) == ["A", "C"])
        // SIMILAR_ITEMS for the new item: backfill without itself.
        let similar = try Self.aampectl(["similar", "--data-dir", data, "E", "--json"]).output
        #expect(!RecommendationServingTests.items(similar).contains("E") && !similar.contains("isKnownItem"))

        // TRACK item_updated: A goes out of stock, B's price drops; no user is needed.
        let track = try Self.aampectl([
            "track", "--data-dir", data, "", "item_updated", "A", "--property", "in_stock=false",
        ])
        #expect(track.status == 0, "\(track.output)")
        #expect(
            try Self.aampectl([
                "track", "--data-dir", data, "", "item_updated", "B", "--property", "price=4.5",
            ]).status == 0
        )
        #expect(try Self.recommend(data, ["--in-stock"]) == ["B", "C", "D", "E"])
        #expect(try Self.recommend(data, ["--max-price", "5"]) == ["B", "A", "E"])
        // Bad updates name their field.
        let badPrice = try Self.aampectl([
            "track", "--data-dir", data, "", "item_updated", "A", "--property", "price=abc",
        ])
        #expect(badPrice.status != 0 && badPrice.output.contains("properties.price 'abc'"), "\(badPrice.output)")
        let unknown = try Self.aampectl(["track", "--data-dir", data, "", "item_updated", "Q", "--property", "stock=3"])
        #expect(unknown.status != 0 && unknown.output.contains("item_id 'Q' is not in the served catalog"))
        let nothing = try Self.aampectl(["track", "--data-dir", data, "", "item_updated", "A"])
        #expect(nothing.status != 0 && nothing.output.contains("needs a property price"), "\(nothing.output)")
        // Only item_updated may leave the user out.
        let anonymous = try Self.aampectl(["track", "--data-dir", data, "", "purchase", "A"])
        #expect(anonymous.status != 0 && anonymous.output.contains("user_id is empty"))

        // kill -9: the rows are read again from SQLite and the patches replayed from the real-time log.
        daemon = try daemon.restarted(hard: true)
        #expect(try Self.recommend(data, ["--in-stock"]) == ["B", "C", "D", "E"])
        #expect(try Self.recommend(data, ["--max-price", "5"]) == ["B", "A", "E"])

        // A retrain holds the imported rows (C at 7 in stock, E), so they leave the overlay; the TRACK
        // patches are in no catalog row, so they stay.
        let train = try Self.aampectl(["train", "recommender", "--data-dir", data, "--half-life-days", "0"])
        #expect(train.status == 0, "\(train.output)")
        #expect(try Self.aampectl(["reload", "--data-dir", data]).status == 0)
        let log = try String(contentsOfFile: daemon.logPath, encoding: .utf8)
        #expect(log.contains("catalog overlay: 4 items (1 new since training) over generation 1"), "\(log)")
        #expect(log.contains("catalog overlay: 2 items (0 new since training) over generation 2"), "\(log)")
        #expect(try Self.recommend(data, ["--in-stock"]) == ["B", "C", "D", "E"])
        #expect(try Self.recommend(data, ["--max-price", "5"]) == ["B", "A", "E"])

        // A catalog row written after the patch supersedes it: A is back in stock.
        _ = try Self.importCatalog(data, daemon.folder, "item_id,in_stock\nA,true\n")
        #expect(try Self.recommend(data, ["--in-stock"]) == ["B", "A", "C", "D", "E"])

        // The nightly dump: the whole catalog again, as generation 2 holds it. No row changes, so nothing is
        // laid over the generation (before `changed_at`, all five rows were); B's row, written after its
        // patch, supersedes the patch, so B is back at 10.
        _ = try Self.importCatalog(
            data,
            daemon.folder,
            """
            item_id,title,category,price,in_stock,genres
            A,Alpha,x,5,true,Action
            B,Beta,y,10,true,
            C,Gamma,x,7,true,Action|Drama
            D,Delta,x,,,Drama
            E,Epsilon,z,3,true,Action

            """
        )
        #expect(try Self.recommend(data, ["--max-price", "5"]) == ["A", "E"])
        let overlays = try String(contentsOfFile: daemon.logPath, encoding: .utf8).split(separator: "\n")
            .filter { $0.contains("catalog overlay:") }
        #expect(
            overlays.last?.contains("catalog overlay: none; generation 2 holds the whole catalog") == true,
            "\(overlays)"
        )
        #expect(daemon.stop() == 0)
    }
}
