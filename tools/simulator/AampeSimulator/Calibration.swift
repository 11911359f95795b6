import Foundation

/// How often a message converts in a world, computed from its truth (`truth/users.csv` and the
/// response model in `truth/world.json`) for rested users (no fatigue), over every copy choice (one
/// label per label set) and every one of the 35 weekly windows.
///
/// - random choice: the mean of P(goal) over users, choices and windows;
/// - best single choice: the (choice, window) whose mean over users is highest, sent to everybody;
/// - per-user best: each user's own best (choice, window), which perfect personalization would reach.
///
/// The gaps between the three are what personalization can win; the random rate is what a
/// messaging program that does not learn gets.
public struct Calibration: Sendable, Equatable {
    /// Conversion rates under the three policies.
    public struct Rates: Sendable, Equatable {
        public var random: Double
        public var bestSingle: Double
        public var perUserBest: Double
    }

    public var users: Int
    /// P(goal | message).
    public var goal: Rates
    /// P(click | message).
    public var click: Rates
    /// The best single choice's labels and window, such as `quality,plain @ Sat 10-13`.
    public var bestSingleChoice: String

    /// Reads `truthFolder` (a world's `truth/`) and computes the rates.
    public static func measure(truthFolder: String) throws -> Calibration {
        let worldPath = truthFolder + "/world.json"
        let usersPath = truthFolder + "/users.csv"
        guard let worldData = FileManager.default.contents(atPath: worldPath) else {
            throw SimulatorError.invalidWorld(path: worldPath, reason: "cannot be read")
        }
        guard let document = try? JSONSerialization.jsonObject(with: worldData) as? [String: Any],
            let model = document["response_model"] as? [String: Any]
        else {
            throw SimulatorError.invalidInput(path: worldPath, line: 1, field: "response_model", reason: "missing")
        }
        func number(_ name: String) throws -> Double {
            guard let value = model[name] as? Double else {
                throw SimulatorError.invalidInput(
                    path: worldPath,
                    line: 1,
                    field: "response_model." + name,
                    reason: "missing or not a number"
                )
            }
            return value
        }
        let shift = try number("responsiveness_shift")
        let exponent = try number("window_effect_exponent")
        let clickLift = try number("click_lift")
        let floor = try number("minimum_availability")
        let windows = (document["windows"] as? [String]) ?? []

        guard let text = try? String(contentsOfFile: usersPath, encoding: .utf8) else {
            throw SimulatorError.invalidWorld(path: usersPath, reason: "cannot be read")
        }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: true)
        guard !lines.isEmpty else { throw SimulatorError.invalidWorld(path: usersPath, reason: "is empty") }
        let header = lines.removeFirst().split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        func column(_ name: String) throws -> Int {
            guard let index = header.firstIndex(of: name) else {
                throw SimulatorError.invalidInput(path: usersPath, line: 1, field: name, reason: "no such column")
            }
            return index
        }
        let base = try column("responsiveness")
        let preferences = try Vocabulary.labels.map { try column("pref_" + $0) }
        let windowColumns = try (0..<Population.windowsPerWeek).map {
            try column($0 < 10 ? "window_0\($0)" : "window_\($0)")
        }

        // Every choice as label indices into the flat label list, one per set.
        var choices: [[Int]] = [[]]
        var offset = 0
        for set in Vocabulary.labelSets {
            choices = choices.flatMap { prefix in set.labels.indices.map { prefix + [offset + $0] } }
            offset += set.labels.count
        }
        let cells = choices.count * Population.windowsPerWeek
        var goalSums = [Double](repeating: 0, count: cells)
        var clickSums = [Double](repeating: 0, count: cells)
        var goalRandom = 0.0
        var clickRandom = 0.0
        var goalBest = 0.0
        var clickBest = 0.0
        for (index, line) in lines.enumerated() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            func value(_ column: Int) throws -> Double {
                guard column < fields.count, let value = Double(fields[column]) else {
                    throw SimulatorError.invalidInput(
                        path: usersPath,
                        line: index + 2,
                        field: header[column],
                        reason: "not a number"
                    )
                }
                return value
            }
            let responsiveness = try value(base) + shift
            let preference = try preferences.map { try value($0) }
            let windowEffect = try windowColumns.map { exponent * log(max(floor, try value($0))) }
            var userGoalBest = 0.0
            var userClickBest = 0.0
            for (c, choice) in choices.enumerated() {
                let copy = choice.reduce(responsiveness) { $0 + preference[$1] }
                for w in 0..<Population.windowsPerWeek {
                    let goal = sigmoid(copy + windowEffect[w])
                    let click = sigmoid(copy + windowEffect[w] + clickLift)
                    goalSums[c * Population.windowsPerWeek + w] += goal
                    clickSums[c * Population.windowsPerWeek + w] += click
                    goalRandom += goal
                    clickRandom += click
                    userGoalBest = max(userGoalBest, goal)
                    userClickBest = max(userClickBest, click)
                }
            }
            goalBest += userGoalBest
            clickBest += userClickBest
        }
        let users = Double(lines.count)
        let bestCell = goalSums.indices.max { goalSums[$0] < goalSums[$1] } ?? 0
        let bestChoice = choices[bestCell / Population.windowsPerWeek].map { Vocabulary.labels[$0] }
        let bestWindow = bestCell % Population.windowsPerWeek
        return Calibration(
            users: lines.count,
            goal: Rates(
                random: goalRandom / users / Double(cells),
                bestSingle: (goalSums.max() ?? 0) / users,
                perUserBest: goalBest / users
            ),
            click: Rates(
                random: clickRandom / users / Double(cells),
                bestSingle: (clickSums.max() ?? 0) / users,
                perUserBest: clickBest / users
            ),
            bestSingleChoice: bestChoice.joined(separator: ",") + " @ "
                + (bestWindow < windows.count ? windows[bestWindow] : "window \(bestWindow)")
        )
    }
}
