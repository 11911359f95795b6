import AampeSimulator
import ArgumentParser
import Foundation

/// The options that shape a world, shared by `generate` and `init`.
struct WorldOptions: ParsableArguments {
    @Option(help: "Number of users.") var users = 20_000
    @Option(help: "Number of catalog items.") var items = 2_000
    @Option(help: "First UTC day, YYYY-MM-DD.") var start = "2026-10-01"
    @Option(help: "Number of days (for init: the most days the world can be stepped).") var days = 30
    @Option(help: "Random seed.") var seed: UInt64 = 1
    @Option(help: "Dump layout: segment, csv, mixpanel or amplitude.") var format = "segment"
    @Flag(help: "Compress each dump with zstd (.zst).") var zstd = false
    @Option(help: "Share of events written twice with the same idempotency key.") var duplicateRate = 0.01
    @Option(help: "Share of events written into a later day's dump.") var lateRate = 0.005
    @Option(help: "Malformed lines added, as a share of events.") var malformedRate = 0.001
    @Option(help: "Hidden personas, 1 to 6.") var personas = 6
    @Option(help: "Variance shares of copy preferences: population,persona,individual.") var copyVariance =
        "0.2,0.3,0.5"
    @Option(
        help: "Message response strength: realistic (published push and email rates) or high (today's strong signal)."
    )
    var signal = "realistic"
    @Option(help: "Standard deviation of one label preference, in logits (default: the signal's).") var copyEffect:
        Double?
    @Option(help: "Share of (user, channel) addresses that are bad: every message to one fails.") var failureRate =
        0.005
    @Option(help: "Opt-out probability per delivered message at zero fatigue.") var optOutBase = 0.002
    @Option(help: "Opt-out probability added per logit of the user's current fatigue.") var optOutSlope = 0.004
    @Option(help: "Share of message-driven goals that replace an organic goal (pulled forward).") var cannibalization =
        0.3

    /// The settings these options describe, validated.
    func settings() throws -> WorldSettings {
        guard let signal = Signal(rawValue: signal) else {
            throw ValidationError("--signal: \"\(self.signal)\" is not one of realistic, high")
        }
        var settings = WorldSettings(signal: signal)
        settings.users = users
        settings.items = items
        settings.startDate = start
        settings.days = days
        settings.seed = seed
        settings.personas = personas
        guard let dumpFormat = WorldSettings.DumpFormat(rawValue: format) else {
            throw ValidationError("--format: \"\(format)\" is not one of segment, csv, mixpanel, amplitude")
        }
        settings.format = dumpFormat
        settings.isCompressed = zstd
        settings.duplicateRate = duplicateRate
        settings.lateRate = lateRate
        settings.malformedRate = malformedRate
        let shares = copyVariance.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard shares.count == 3, shares.allSatisfy({ $0 != nil }) else {
            throw ValidationError("--copy-variance: \"\(copyVariance)\" is not three numbers such as 0.2,0.3,0.5")
        }
        settings.copyVarianceShares = shares.map { $0! }
        if let copyEffect { settings.copyEffectScale = copyEffect }
        settings.failureRate = failureRate
        settings.optOutBase = optOutBase
        settings.optOutSlope = optOutSlope
        settings.cannibalization = cannibalization
        do {
            try settings.validate()
        } catch {
            throw ValidationError(error.description)
        }
        return settings
    }
}
