/// The channel a message is sent through, as the outbox stores it: one byte.
///
/// The cases and their names are the wire protocol's `channel` strings (`proto-spec/aampe.proto`) and
/// Content's `MessageChannel`; the outbox keeps its own copy because it imports only Core.
public enum OutboxChannel: UInt8, CaseIterable, Hashable, Sendable, CustomStringConvertible {
    /// A push notification.
    case push = 0
    /// An email.
    case email = 1
    /// An SMS.
    case sms = 2
    /// An in-app message.
    case inApp = 3

    /// The channel's name on the wire: `push`, `email`, `sms`, `in_app`.
    public var name: String {
        switch self {
        case .push: "push"
        case .email: "email"
        case .sms: "sms"
        case .inApp: "in_app"
        }
    }

    /// The channel named `name` on the wire; nil for an unknown name.
    public init?(name: String) {
        guard let channel = Self.allCases.first(where: { $0.name == name }) else { return nil }
        self = channel
    }

    public var description: String { name }
}

/// A set of channels, one bit each: which channels a PULL takes messages from.
public struct OutboxChannelSet: OptionSet, Hashable, Sendable {
    /// Bit `channel.rawValue` is set for each channel in the set.
    public var rawValue: UInt8

    /// Wraps a bit mask.
    public init(rawValue: UInt8) {
        self.rawValue = rawValue
    }

    /// The set of `channels`.
    public init(_ channels: some Sequence<OutboxChannel>) {
        self.rawValue = channels.reduce(0) { $0 | 1 << $1.rawValue }
    }

    /// Every channel; what a PULL with an empty channel list asks for.
    public static let all = OutboxChannelSet(OutboxChannel.allCases)

    /// Whether `channel` is in the set.
    public func contains(_ channel: OutboxChannel) -> Bool { rawValue & 1 << channel.rawValue != 0 }
}
