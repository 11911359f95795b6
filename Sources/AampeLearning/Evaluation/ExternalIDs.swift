/// The external ids of one kind (users or items) in dense-index order: the id of index `i` is `ids[i]`.
///
/// An id gets the next index the first time it is seen, so reading a file yields indices in first-seen
/// order, and reading a second file into the same table keeps every index of the first.
public struct ExternalIDs: Hashable, Sendable {
    /// The ids, indexed by dense index.
    public private(set) var ids: [String] = []
    private var indexByID: [String: UInt32] = [:]

    /// An empty table.
    public init() {}

    /// How many ids the table holds; the next new id gets this index.
    public var count: Int { ids.count }

    /// The dense index of `id`, or `nil` if the table has not seen it.
    public func index(of id: String) -> UInt32? { indexByID[id] }

    /// The dense index of `id`, adding it at the end if it is new.
    public mutating func intern(_ id: String) -> UInt32 {
        if let index = indexByID[id] { return index }
        // Callers bound the id count: the ratings reader through `Limits.maximumRatingsFileBytes`.
        precondition(ids.count < Int(UInt32.max), "more than UInt32.max external ids")
        let index = UInt32(ids.count)
        ids.append(id)
        indexByID[id] = index
        return index
    }
}
