import AampeCore
import AampeJobs
import AampeLearning
import AampeSegments
import AampeTestSupport
import Foundation
import Testing

/// SCORE end to end: a real landscape and timing trained by `aampectl` on a small world, a model
/// published by hand with known summaries, a running aamped, and `aampectl score`.
///
/// The world: u00…u09 view three items every morning, u10…u19 buy one item every other evening (UTC),
/// so the landscape puts them in two clusters. The model knows only u00 and "vip"; its summaries are
/// made from a seed by `summary(_:)`, so every expected probability below is σ of a sum of those floats.
@Suite("SCORE served by aamped", .serialized)
struct ScoreServingTests {
    static let labels = ["tone=playful", "tone=formal", "offer=none"]
    static let windows = 35

    /// A packed summary made from `seed`: [baseline, sd, message, sd, 3 label deviations, 3 label SDs,
    /// 35 window deviations, 35 window SDs].
    static func summary(_ seed: Float) -> [Float] {
        var values: [Float] = [-2 + seed / 8, 0.3, 0.25 + seed / 64, 0.4]
        values += [0.5, -0.25, 0.125].map { $0 * (1 + seed) }
        values += [0.11, 0.22, 0.33].map { $0 + seed / 1024 }
        values += (0..<windows).map { Float($0 - 17) / 64 + seed / 256 }
        values += (0..<windows).map { 0.05 + Float($0) / 512 }
        return values
    }

    static func sigma(_ logit: Float) -> Double { 1 / (1 + exp(-Double(logit))) }

    /// Publishes a model with goals "purchase" (110 training rows) and "open" (550: the default), user
    /// summaries seeded 1 (u00) and 2 (vip) for "open" and 11, 12 for "purchase", and group summaries
    /// seeded 20 + group (clusters, then users without a cluster, then the population), 40 + group for
    /// "purchase". `shift` moves every seed, to tell two publications apart.
    static func publishModel(_ directory: DataDirectory, clusterCount: Int, shift: Float = 0) throws {
        func goal(_ name: String, rows: (Int, Int), groupSeed: Float) -> ModelFiles.GoalModel {
            ModelFiles.GoalModel(
                goal: name,
                labels: labels,
                signatures: [["offer", "tone"]],
                campaignBaselines: [:],
                messageRows: rows.0,
                controlRows: rows.1,
                goalRows: 7,
                effectSD: [:],
                logLikelihood: -1,
                newtonRounds: 3,
                groupSummaries: (0..<(clusterCount + 2)).map { summary(groupSeed + Float($0) + shift) },
                optOutRate: 0,
                posteriorWidening: 1,
                monitoring: nil
            )
        }
        let manifest = ModelFiles.Manifest(
            settings: ModelSettings(),
            referenceSeconds: 1_790_000_000,
            trainedAt: "2026-11-01T00:00:00Z",
            userCount: 2,
            windowCount: windows,
            clusterCount: clusterCount,
            landscapeGeneration: nil,
            goals: [goal("purchase", rows: (100, 10), groupSeed: 40), goal("open", rows: (500, 50), groupSeed: 20)]
        )
        _ = try GenerationPublisher.publish(model: ModelFiles.model, in: directory) { builder in
            try ModelFiles.writeScores(
                [summary(11 + shift), summary(12 + shift)],
                userIDs: ["u00", "vip"],
                goalIndex: 0,
                into: builder
            )
            try ModelFiles.writeScores(
                [summary(1 + shift), summary(2 + shift)],
                userIDs: ["u00", "vip"],
                goalIndex: 1,
                into: builder
            )
            try GenerationJSON.write(manifest, as: ModelFiles.manifest, into: builder)
        }
    }

    /// Imports the world and trains the landscape (2 clusters) and timing with `aampectl`.
    static func trainWorld(_ directory: DataDirectory, _ folder: String) throws {
        let formatter = ISO8601DateFormatter()
        let start = formatter.date(from: "2026-10-01T00:00:00Z")!
        var events = "user_id,event,timestamp,item_id,value,properties\n"
        for user in 0..<20 {
            let id = String(format: "u%02d", user)
            for day in 0..<28 {
                let midnight = start.addingTimeInterval(Double(day) * 86_400)
                if user < 10 {
                    let opened = midnight.addingTimeInterval(8.5 * 3_600)
                    events += "\(id),app_opened,\(formatter.string(from: opened)),,,{}\n"
                    for view in 1...3 {
                        let at = formatter.string(from: opened.addingTimeInterval(Double(view) * 60))
                        events += "\(id),product_viewed,\(at),i\(view + user % 3),,{}\n"
                    }
                } else if day % 2 == 0 {
                    let opened = midnight.addingTimeInterval(20 * 3_600)
                    events += "\(id),app_opened,\(formatter.string(from: opened)),,,{}\n"
                    events += "\(id),purchase,\(formatter.string(from: opened.addingTimeInterval(300))),i9,50,{}\n"
                }
            }
        }
        try events.write(toFile: folder + "/events.csv", atomically: true, encoding: .utf8)
        for arguments in [
            ["import", "events", "--data-dir", directory.path, folder + "/events.csv"],
            ["train", "landscape", "--data-dir", directory.path, "--clusters", "2", "--dimensions", "2"],
            ["train", "timing", "--data-dir", directory.path],
        ] {
            let result = try Aampectl.run(arguments)
            guard result.status == 0 else { throw ScoreTestError.command(arguments, result.output) }
        }
    }

    enum ScoreTestError: Error { case command([String], String) }

    static func prepare(_ directory: DataDirectory, _ folder: String) throws {
        try trainWorld(directory, folder)
        try publishModel(directory, clusterCount: try landscape(directory).manifest.clusterCount)
    }

    static func landscape(_ directory: DataDirectory) throws -> ServedLandscape {
        try ServedLandscape(generation: try #require(try GenerationStore(dataDirectory: directory).openCurrent()))
    }

    static func score(_ data: String, _ arguments: [String]) throws -> [String: Any] {
        let result = try Aampectl.run(["score", "--data-dir", data, "--json"] + arguments)
        #expect(result.status == 0, "\(arguments): \(result.output)")
        return try #require(JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any])
    }

    /// Checks an answer against the summary it must come from: the baseline, and every label (or those
    /// named) and window, each to 1e-9.
    static func expect(
        _ answer: [String: Any],
        from packed: [Float],
        labels named: [Int] = [0, 1, 2],
        windows: Bool = false,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let baseline = sigma(packed[0])
        #expect(abs((answer["baselineProbability"] as? Double ?? -1) - baseline) < 1e-9, sourceLocation: sourceLocation)
        let labelAnswers = answer["labels"] as? [[String: Any]] ?? []
        #expect(labelAnswers.count == named.count, sourceLocation: sourceLocation)
        for (answer, label) in zip(labelAnswers, named) {
            let parts = labels[label].split(separator: "=").map(String.init)
            #expect(answer["labelSet"] as? String == parts[0], sourceLocation: sourceLocation)
            #expect(answer["label"] as? String == parts[1], sourceLocation: sourceLocation)
            let target = sigma(packed[0] + packed[2] + packed[4 + label])
            #expect(abs((answer["targetProbability"] as? Double ?? -1) - target) < 1e-9, sourceLocation: sourceLocation)
            #expect(
                abs((answer["score"] as? Double ?? -1) - (target - baseline)) < 1e-9,
                sourceLocation: sourceLocation
            )
            #expect(
                abs((answer["uncertainty"] as? Double ?? -1) - Double(packed[4 + 3 + label])) < 1e-9,
                sourceLocation: sourceLocation
            )
        }
        let windowAnswers = answer["windows"] as? [[String: Any]] ?? []
        #expect(windowAnswers.count == (windows ? Self.windows : 0), sourceLocation: sourceLocation)
        for (window, answer) in windowAnswers.enumerated() {
            #expect((answer["window"] as? Int ?? 0) == window, sourceLocation: sourceLocation)
            let target = sigma(packed[0] + packed[2] + packed[10 + window])
            #expect(abs((answer["targetProbability"] as? Double ?? -1) - target) < 1e-9, sourceLocation: sourceLocation)
            #expect(
                abs((answer["score"] as? Double ?? -1) - (target - baseline)) < 1e-9,
                sourceLocation: sourceLocation
            )
            #expect(
                abs((answer["uncertainty"] as? Double ?? -1) - Double(packed[10 + Self.windows + window])) < 1e-9,
                sourceLocation: sourceLocation
            )
        }
    }

    @Test("known user, a new user in a known cluster, a new user: the right summary, to 1e-9; goals and labels")
    func scores() throws {
        let daemon = try DaemonProcess(prepare: Self.prepare)
        let data = daemon.dataDirectory.path
        let landscape = try Self.landscape(daemon.dataDirectory)
        let clusters = landscape.manifest.clusterCount
        #expect(clusters == 2)
        let generation = "\(landscape.generationNumber)"

        // u00 is known: its own summary for the default goal, "open" (550 rows against purchase's 110).
        let known = try Self.score(data, ["u00", "--windows"])
        Self.expect(known, from: Self.summary(1), windows: true)
        #expect(known["isKnownUser"] as? Bool == true && known["source"] == nil)  // USER is proto3's default
        #expect(known["goal"] as? String == "open" && known["generation"] as? String == generation)

        // u15 is new to the model, and the landscape has it in its cluster: that cluster's typical user.
        let cluster = try #require(landscape.cluster(of: "u15"))
        let clustered = try Self.score(data, ["u15"])
        Self.expect(clustered, from: Self.summary(20 + Float(cluster)))
        #expect(clustered["isKnownUser"] == nil && clustered["source"] as? String == "CLUSTER")

        // Nobody knows "stranger": the population's typical user (the last group summary).
        let stranger = try Self.score(data, ["stranger", "--goal", "purchase"])
        Self.expect(stranger, from: Self.summary(40 + Float(clusters) + 1))
        #expect(stranger["isKnownUser"] == nil && stranger["source"] as? String == "POPULATION")
        #expect(stranger["goal"] as? String == "purchase")

        // A goal by name, and a subset of labels in the order asked (a repeat is answered again).
        let subset = try Self.score(
            data,
            ["vip", "--goal", "purchase", "--labels", "offer=none,tone=playful,offer=none"]
        )
        Self.expect(subset, from: Self.summary(12), labels: [2, 0, 2])

        // Requests at the label limit are answered; one more label is refused, naming the field.
        let atLimit = Array(repeating: "tone=formal", count: Limits.maximumScoreLabels)
        let full = try Self.score(data, ["u00", "--labels", atLimit.joined(separator: ",")])
        #expect((full["labels"] as? [Any])?.count == Limits.maximumScoreLabels)
        let over = try Aampectl.run(
            ["score", "--data-dir", data, "u00", "--labels", (atLimit + ["tone=formal"]).joined(separator: ",")]
        )
        #expect(over.status != 0 && over.output.contains("INVALID_REQUEST") && over.output.contains("labels:"))

        // An unknown label and an unknown goal are refused, naming them; nothing else is answered.
        let badLabel = try Aampectl.run(["score", "--data-dir", data, "u00", "--labels", "tone=playful,tone=rude"])
        #expect(badLabel.status != 0, "\(badLabel.output)")
        #expect(badLabel.output.contains("INVALID_REQUEST") && badLabel.output.contains("labels[1] 'tone=rude'"))
        let badGoal = try Aampectl.run(["score", "--data-dir", data, "u00", "--goal", "signup"])
        #expect(badGoal.status != 0 && badGoal.output.contains("INVALID_REQUEST"), "\(badGoal.output)")
        #expect(badGoal.output.contains("goal 'signup'") && badGoal.output.contains("purchase, open"))

        // The table says whose scores they are, and names windows by the timing's layout.
        let table = try Aampectl.run(["score", "--data-dir", data, "u15", "--windows"])
        #expect(table.status == 0, "\(table.output)")
        #expect(table.output.contains("their cluster's typical user's scores"))
        #expect(table.output.contains("Mon 07:00–10:00") && table.output.contains("Sun 19:00–22:00"))
        #expect(table.output.contains("tone") && table.output.contains("playful"))

        // A new model generation is swapped in by RELOAD, and the next SCORE answers from it.
        try Self.publishModel(daemon.dataDirectory, clusterCount: clusters, shift: 100)
        let reload = try Aampectl.run(["reload", "--data-dir", data])
        #expect(reload.status == 0, "\(reload.output)")
        Self.expect(try Self.score(data, ["u00"]), from: Self.summary(101))
        #expect(daemon.stop() == 0)
    }

    @Test("without a model in the live generation, SCORE is UNAVAILABLE and says what to run")
    func noModel() throws {
        let daemon = try DaemonProcess()
        let result = try Aampectl.run(["score", "--data-dir", daemon.dataDirectory.path, "u00"])
        #expect(result.status != 0)
        #expect(
            result.output.contains("UNAVAILABLE") && result.output.contains("aampectl train model"),
            "\(result.output)"
        )
        #expect(daemon.stop() == 0)
    }
}
