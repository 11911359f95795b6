/// One available choice for a user: a variant of the campaign's formula and a send window.
public struct AssignmentChoice: Hashable, Sendable {
    /// The variant (one alternate per block), as an index into the campaign's variants.
    public var variant: Int
    /// The variant's labels, one `set=label` string per block's alternate (`tone=playful`).
    public var labels: [String]
    /// The send window, as an index into the week's windows.
    public var window: Int

    /// A choice of `variant`, whose labels are `labels`, sent in `window`.
    public init(variant: Int, labels: [String], window: Int) {
        self.variant = variant
        self.labels = labels
        self.window = window
    }
}

/// A user to decide for, with the landscape cluster they belong to and the choices open to them.
public struct AssignmentCandidate: Sendable {
    /// The user's dense index.
    public var user: Int
    /// The user's cluster on the landscape.
    public var cluster: Int
    /// The choices open to this user; empty when none is (the user is then skipped). Duplicates count once.
    public var choices: [AssignmentChoice]
    /// The user's landscape vector, for a policy that decides on context (``ExternalPolicy``); `nil`
    /// when the assigner did not read it (the other policies do not need it) or the landscape does not
    /// know the user.
    public var context: [Float]?

    /// A candidate `user` in `cluster` with `choices` open, and their landscape vector as `context`.
    public init(user: Int, cluster: Int, choices: [AssignmentChoice], context: [Float]? = nil) {
        self.user = user
        self.cluster = cluster
        self.choices = choices
        self.context = context
    }
}
