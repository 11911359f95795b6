/// One past send and whether it worked, as Thompson sampling learns from it: the message log feeds these.
public struct AssignmentOutcome: Hashable, Sendable {
    /// The recipient's cluster on the landscape when the message was assigned.
    public var cluster: Int
    /// The sent variant's labels, as `set=label` strings.
    public var labels: [String]
    /// The send window, as an index into the week's windows.
    public var window: Int
    /// Whether the recipient reached the campaign's goal within the attribution window.
    public var didRespond: Bool

    /// An outcome of a send to a user of `cluster`.
    public init(cluster: Int, labels: [String], window: Int, didRespond: Bool) {
        self.cluster = cluster
        self.labels = labels
        self.window = window
        self.didRespond = didRespond
    }
}
