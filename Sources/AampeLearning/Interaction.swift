/// One user-item interaction as the learners see it: dense indices, a weight and a time.
///
/// The weight is the event type's weight (a view 1, an add to cart 3, a purchase 5) or, for rating data,
/// the rating itself. Time decay is applied by the learner, not here, so the same interactions can be
/// trained with any half-life.
public struct Interaction: Hashable, Sendable {
    /// The user's dense index.
    public var user: UInt32
    /// The item's dense index.
    public var item: UInt32
    /// The event-type weight or rating.
    public var weight: Float
    /// Seconds since 1970-01-01T00:00:00Z: the learners work in whole seconds (served histories keep
    /// them in 32 bits), not in ``Timestamp``'s microseconds.
    public var timestampSeconds: Int64

    /// An interaction of `user` with `item`, weighing `weight`, at `timestampSeconds` since the epoch.
    public init(user: UInt32, item: UInt32, weight: Float, timestampSeconds: Int64) {
        self.user = user
        self.item = item
        self.weight = weight
        self.timestampSeconds = timestampSeconds
    }
}
