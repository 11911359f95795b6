/// The true response of a simulated user to a message. The engine never sees this; it has to learn it.
///
///     P(goal | message with choice c at window w, time t)
///         = σ( base_u + shift + pref_u(c) + β · log availability_u(w) − fatigue_u(t, c) )
///
/// - `base_u`: the user's responsiveness (`truth/users.csv` column `responsiveness`, logits).
/// - `shift`, `β`: the signal's ``ResponseCalibration`` (`responsivenessShiftLogits`,
///   `windowEffectExponent`); the high signal has 0 and 1.
/// - `pref_u(c)`: the sum, over label sets, of the user's preference for the label `c` picks
///   (`pref_<label>` columns): a population effect + a persona effect + an individual effect. A
///   message without a label of some set gets the user's mean preference over that set.
/// - `availability_u(w)`: 35 × the user's routine share in window `w` (`window_NN` columns), so an
///   average window is 1 and contributes 0; floored at 0.05, which is also the availability outside
///   the 35 waking windows (night).
/// - `fatigue_u(t, c)`: Σ over earlier sends s of `exp(−(t − t_s) / recovery_u)` ×
///   (`fatigue_per_send` + `fatigue_same_copy` when s used the same choice c). Fatigue from a send
///   fades with the user's recovery time (`recovery_days`), and repeating the same copy tires more.
public struct ResponseModel: Sendable {
    let population: Population
    let calibration: ResponseCalibration

    /// Floor of `availability_u(w)`, so a window the user never uses is unlikely but not impossible.
    public static let minimumAvailability = 0.05
    /// Sends remembered per user for fatigue; older ones have faded anyway.
    public static let rememberedSends = 32

    /// The choice index of `labels` (one label index per label set, nil for none), for fatigue bookkeeping.
    static func choiceCode(_ labels: [Int?]) -> Int {
        var code = 0
        for (set, label) in labels.enumerated() {
            let count = Vocabulary.labelSets[set].labels.count
            code = code * (count + 1) + (label ?? count)
        }
        return code
    }

    /// `pref_u(c)`.
    func preference(user: Int, labels: [Int?]) -> Double {
        precondition(labels.count == Vocabulary.labelSets.count, "one label (or nil) per label set")
        var sum = 0.0
        var offset = 0
        for (set, label) in labels.enumerated() {
            let count = Vocabulary.labelSets[set].labels.count
            let row = user * Population.labelCount + offset
            if let label {
                sum += Double(population.copyPreference[row + label])
            } else {
                var mean = 0.0
                for other in 0..<count { mean += Double(population.copyPreference[row + other]) }
                sum += mean / Double(count)
            }
            offset += count
        }
        return sum
    }

    /// `availability_u(w)`; nil is a moment outside the waking windows.
    func availability(user: Int, window: Int?) -> Double {
        guard let window else { return Self.minimumAvailability }
        return max(
            Self.minimumAvailability,
            35 * Double(population.routine[user * Population.windowsPerWeek + window])
        )
    }

    /// `fatigue_u(t, c)` from the user's earlier sends.
    func fatigue(user: Int, labels: [Int?], atSeconds time: Int64, history: FatigueHistory) -> Double {
        let recoverySeconds = Double(population.recoveryDays[user]) * 86_400
        let code = Self.choiceCode(labels)
        var total = 0.0
        for send in history.sends where send.seconds <= time {
            let weight =
                Double(population.fatiguePerSend[user])
                + (send.choice == code ? Double(population.fatigueSameCopy[user]) : 0)
            total += weight * exp(-Double(time - send.seconds) / recoverySeconds)
        }
        return total
    }

    /// The model's logit.
    func logit(user: Int, labels: [Int?], window: Int?, atSeconds time: Int64, history: FatigueHistory) -> Double {
        logitWithoutFatigue(user: user, labels: labels, window: window)
            - fatigue(user: user, labels: labels, atSeconds: time, history: history)
    }

    /// The logit of a rested user: `base_u + shift + pref_u(c) + β · log availability_u(w)`.
    func logitWithoutFatigue(user: Int, labels: [Int?], window: Int?) -> Double {
        Double(population.responsiveness[user]) + calibration.responsivenessShiftLogits
            + preference(user: user, labels: labels)
            + calibration.windowEffectExponent * log(availability(user: user, window: window))
    }

    /// P(goal | message).
    func probability(user: Int, labels: [Int?], window: Int?, atSeconds time: Int64, history: FatigueHistory) -> Double
    {
        sigmoid(logit(user: user, labels: labels, window: window, atSeconds: time, history: history))
    }
}

/// A user's recent sends, oldest first, at most ``ResponseModel/rememberedSends``.
struct FatigueHistory: Sendable {
    var sends: [(seconds: Int64, choice: Int)] = []

    mutating func record(seconds: Int64, labels: [Int?]) {
        sends.append((seconds, ResponseModel.choiceCode(labels)))
        if sends.count > ResponseModel.rememberedSends {
            sends.removeFirst(sends.count - ResponseModel.rememberedSends)
        }
    }
}

/// A message the messaging service delivered to a simulated user, as the response model sees it.
struct DeliveredMessage: Sendable {
    var user: Int
    /// One label index per label set, in ``Vocabulary/labelSets`` order; nil where the copy has no label
    /// of that set.
    var labels: [Int?]
    /// The weekly window (0 ..< 35) the message arrived in, in the user's local time; nil at night.
    var window: Int?
    /// Delivery time, UTC seconds.
    var deliveredAtSeconds: Int64
}

/// Decides how a user reacts to a delivered message: a click after a realistic delay, then maybe the
/// goal (a session ending in a purchase) within the attribution window.
///
/// ``LiveWorld`` asks `respond` for each delivered message and writes the resulting events into the
/// dumps through ``DaySimulator/emit``, the same path organic events take.
struct MessageResponder: Sendable {
    let model: ResponseModel

    /// Goals count within this many seconds of delivery.
    static let attributionWindowSeconds: Int64 = 24 * 3_600

    struct Response: Equatable {
        /// Seconds after delivery; nil when the user ignores the message.
        var clickAfterSeconds: Int64?
        /// Seconds after delivery of the goal session; nil without a goal.
        var goalAfterSeconds: Int64?
        /// P(goal | message) at delivery, the probability the goal was drawn with.
        var goalProbability = 0.0
        /// `fatigue_u(t, c)` at delivery, before this send.
        var fatigue = 0.0
    }

    /// Draws the response and records the send in `history` (which the send itself then tires).
    func respond(to message: DeliveredMessage, history: inout FatigueHistory, _ random: inout SimRandom) -> Response {
        let fatigue = model.fatigue(
            user: message.user,
            labels: message.labels,
            atSeconds: message.deliveredAtSeconds,
            history: history
        )
        let logit =
            model.logitWithoutFatigue(user: message.user, labels: message.labels, window: message.window)
            - fatigue
        history.record(seconds: message.deliveredAtSeconds, labels: message.labels)
        var response = Response(goalProbability: sigmoid(logit), fatigue: fatigue)
        // A click is more likely than the goal by the calibration's click lift; every goal follows a click.
        let clickProbability = sigmoid(logit + model.calibration.clickLiftLogits)
        guard random.chance(clickProbability) else { return response }
        // Most clicks come within minutes; a few hours later at most (log-normal, median 10 minutes).
        let click = min(Self.attributionWindowSeconds / 2, Int64(600 * exp(1.2 * random.normal())))
        response.clickAfterSeconds = click
        guard random.chance(response.goalProbability / clickProbability) else { return response }
        response.goalAfterSeconds = min(
            Self.attributionWindowSeconds - 1,
            click + 30 + Int64(random.exponential(mean: 1_800))
        )
        return response
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
