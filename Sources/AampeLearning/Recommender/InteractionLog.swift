/// Interactions as parallel columns, the form training reads: 21 bytes an event instead of an array of
/// structs with padding, and each pass touches only the columns it needs.
public struct InteractionLog: Sendable {
    /// Each interaction's user, as a dense index.
    public private(set) var users: [UInt32] = []
    /// Each interaction's item, as a dense index.
    public private(set) var items: [UInt32] = []
    /// Each interaction's event-type weight or rating, before decay.
    public private(set) var weights: [Float] = []
    /// Each interaction's time, in seconds since the epoch.
    public private(set) var timestampSeconds: [Int64] = []
    /// Whether the event was a purchase (it feeds exclusions and cool-downs).
    public private(set) var isPurchase: [Bool] = []
    /// One past the largest user and item index seen, or the sizes given at creation if larger.
    public private(set) var userCount: Int
    /// One past the largest item index seen, or the size given at creation if larger.
    public private(set) var itemCount: Int

    /// An empty log for at least `userCount` users and `itemCount` items (0: sized by what is appended).
    public init(userCount: Int = 0, itemCount: Int = 0) {
        self.userCount = userCount
        self.itemCount = itemCount
    }

    /// A log of `interactions`, none of them purchases, in the order given.
    public init(_ interactions: [Interaction], userCount: Int = 0, itemCount: Int = 0) {
        self.init(userCount: userCount, itemCount: itemCount)
        reserveCapacity(interactions.count)
        for interaction in interactions { append(interaction) }
    }

    /// The number of interactions.
    public var count: Int { users.count }

    /// Reserves room for `capacity` interactions in every column.
    public mutating func reserveCapacity(_ capacity: Int) {
        users.reserveCapacity(capacity)
        items.reserveCapacity(capacity)
        weights.reserveCapacity(capacity)
        timestampSeconds.reserveCapacity(capacity)
        isPurchase.reserveCapacity(capacity)
    }

    /// Appends `interaction`; `purchase` marks it as a purchase. Grows the user and item counts to cover it.
    public mutating func append(_ interaction: Interaction, isPurchase purchase: Bool = false) {
        append(
            user: interaction.user,
            item: interaction.item,
            weight: interaction.weight,
            timestampSeconds: interaction.timestampSeconds,
            isPurchase: purchase
        )
    }

    /// Appends one interaction, `timestampSeconds` since the epoch. Grows the user and item counts to cover it.
    public mutating func append(
        user: UInt32,
        item: UInt32,
        weight: Float,
        timestampSeconds: Int64,
        isPurchase purchase: Bool
    ) {
        users.append(user)
        items.append(item)
        weights.append(weight)
        self.timestampSeconds.append(timestampSeconds)
        isPurchase.append(purchase)
        if Int(user) >= userCount { userCount = Int(user) + 1 }
        if Int(item) >= itemCount { itemCount = Int(item) + 1 }
    }

    /// The newest interaction's time in seconds since the epoch, or `nil` when empty.
    public var newestTimestampSeconds: Int64? { timestampSeconds.max() }
}
