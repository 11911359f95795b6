/// The true response of a simulated user to a message. The engine never sees this; it has to learn it.
///
///     P(goal | message with choice c at window w, time t)
///         = σ( base_u + pref_u(c) + log availability_u(w) − fatigue_u(t, c) )
///
/// - `base_u`: the user's responsiveness (`truth/users.csv` column `responsiveness`, logits).
/// - `pref_u(c)`: the sum, over label sets, of the user's preference for the label `c` picks
///   (`pref_<label>` columns): a population effect + a persona effect + an individual effect.
/// - `availability_u(w)`: 35 × the user's routine share in window `w` (`window_NN` columns), so an
///   average window is 1 and contributes 0; floored at 0.05.
/// - `fatigue_u(t, c)`: Σ over earlier sends s of `exp(−(t − t_s) / recovery_u)` ×
///   (`fatigue_per_send` + `fatigue_same_copy` when s used the same choice c). Fatigue from a send
///   fades with the user's recovery time (`recovery_days`), and repeating the same copy tires more.
public struct ResponseModel: Sendable {
    let population: Population

    /// Floor of `availability_u(w)`, so a window the user never uses is unlikely but not impossible.
    public static let minimumAvailability = 0.05
    /// Sends remembered per user for fatigue; older ones have faded anyway.
    public static let rememberedSends = 32

    /// The choice index of `labels` (one label index per label set), for fatigue bookkeeping.
    static func choiceCode(_ labels: [Int]) -> Int {
        var code = 0
        for (set, label) in labels.enumerated() { code = code * Vocabulary.labelSets[set].labels.count + label }
        return code
    }

    /// `pref_u(c)`.
    func preference(user: Int, labels: [Int]) -> Double {
        var sum = 0.0
        var offset = 0
        for (set, label) in labels.enumerated() {
            sum += Double(population.copyPreference[user * Population.labelCount + offset + label])
            offset += Vocabulary.labelSets[set].labels.count
        }
        return sum
    }

    /// `availability_u(w)`.
    func availability(user: Int, window: Int) -> Double {
        max(Self.minimumAvailability, 35 * Double(population.routine[user * Population.windowsPerWeek + window]))
    }

    /// `fatigue_u(t, c)` from the user's earlier sends.
    func fatigue(user: Int, labels: [Int], atSeconds time: Int64, history: FatigueHistory) -> Double {
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
    func logit(user: Int, labels: [Int], window: Int, atSeconds time: Int64, history: FatigueHistory) -> Double {
        Double(population.responsiveness[user]) + preference(user: user, labels: labels)
            + log(availability(user: user, window: window))
            - fatigue(user: user, labels: labels, atSeconds: time, history: history)
    }

    /// P(goal | message).
    func probability(user: Int, labels: [Int], window: Int, atSeconds time: Int64, history: FatigueHistory) -> Double {
        sigmoid(logit(user: user, labels: labels, window: window, atSeconds: time, history: history))
    }
}

/// A user's recent sends, oldest first, at most ``ResponseModel/rememberedSends``.
struct FatigueHistory: Sendable {
    var sends: [(seconds: Int64, choice: Int)] = []

    mutating func record(seconds: Int64, labels: [Int]) {
        sends.append((seconds, ResponseModel.choiceCode(labels)))
        if sends.count > ResponseModel.rememberedSends {
            sends.removeFirst(sends.count - ResponseModel.rememberedSends)
        }
    }
}

/// A message the messaging service delivered to a simulated user.
public struct DeliveredMessage: Sendable {
    public var user: Int
    /// One label index per label set, in ``Vocabulary/labelSets`` order.
    public var labels: [Int]
    /// The weekly window (0 ..< 35) the message arrived in, in the user's local time.
    public var window: Int
    /// Delivery time, UTC seconds.
    public var deliveredAtSeconds: Int64
}

/// Decides how a user reacts to a delivered message: a click after a realistic delay, then maybe the
/// goal (a session ending in a purchase) within the attribution window.
///
/// This is the piece the messaging step plugs in: it PULLs due messages over the protocol, asks
/// `respond` for each, and writes the resulting events into the next day's dump through
/// ``DaySimulator/emit``, the same path organic events take.
struct MessageResponder: Sendable {
    let model: ResponseModel

    /// A click is more likely than the goal by this many logits; every goal follows a click.
    static let clickLift = 1.5
    /// Goals count within this many seconds of delivery.
    static let attributionWindowSeconds: Int64 = 24 * 3_600

    struct Response: Equatable {
        /// Seconds after delivery; nil when the user ignores the message.
        var clickAfterSeconds: Int64?
        /// Seconds after delivery of the goal session; nil without a goal.
        var goalAfterSeconds: Int64?
    }

    /// Draws the response and records the send in `history` (which the send itself then tires).
    func respond(to message: DeliveredMessage, history: inout FatigueHistory, _ random: inout SimRandom) -> Response {
        let logit = model.logit(
            user: message.user,
            labels: message.labels,
            window: message.window,
            atSeconds: message.deliveredAtSeconds,
            history: history
        )
        history.record(seconds: message.deliveredAtSeconds, labels: message.labels)
        let clickProbability = sigmoid(logit + Self.clickLift)
        guard random.chance(clickProbability) else { return Response() }
        // Most clicks come within minutes; a few hours later at most (log-normal, median 10 minutes).
        let click = min(Self.attributionWindowSeconds / 2, Int64(600 * exp(1.2 * random.normal())))
        guard random.chance(sigmoid(logit) / clickProbability) else { return Response(clickAfterSeconds: click) }
        let goal = min(Self.attributionWindowSeconds - 1, click + 30 + Int64(random.exponential(mean: 1_800)))
        return Response(clickAfterSeconds: click, goalAfterSeconds: goal)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
