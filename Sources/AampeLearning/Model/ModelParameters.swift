/// Where each effect of the model sits in its vector of *global* parameters (population and cluster
/// effects); individual effects are kept per user, outside it (``FittedModel``).
///
/// The model's logit for a row of user u in group g, with landscape vector x:
///
/// ```
/// baseline:  b0 + c_k + γ·x + b_g + b_u     (c_k: the row's campaign)
/// message:   + a0 + a_g + Σ_ℓ (α_ℓ + α_ℓg + α_ℓu + δ_ℓ·x) + ω_w + ω_wg + β · logAvailability_u(w)
/// ```
///
/// where the message part applies only to a message row, ℓ runs over the message's labels and w is its
/// window. The population effects (b0, γ, a0, α, ω, δ, β) have fixed priors; the cluster effects (b_g,
/// a_g, α_ℓg, ω_wg) and the individual effects (b_u, α_ℓu) are shrunk toward 0, that is toward the level
/// above, by standard deviations learned from the data.
public struct ModelParameters: Sendable, Hashable, Codable {
    public let dimension: Int
    public let labelCount: Int
    public let windowCount: Int
    public let groupCount: Int
    public let campaignCount: Int

    public init(dimension: Int, labelCount: Int, windowCount: Int, groupCount: Int, campaignCount: Int = 0) {
        self.dimension = dimension
        self.labelCount = labelCount
        self.windowCount = windowCount
        self.groupCount = groupCount
        self.campaignCount = campaignCount
    }

    public var intercept: Int { 0 }
    public func gamma(_ j: Int) -> Int { 1 + j }
    public var message: Int { 1 + dimension }
    public func label(_ l: Int) -> Int { 2 + dimension + l }
    public func window(_ w: Int) -> Int { 2 + dimension + labelCount + w }
    public func interaction(_ l: Int, _ j: Int) -> Int { 2 + dimension + labelCount + windowCount + l * dimension + j }
    public var availability: Int { 2 + dimension + labelCount + windowCount + labelCount * dimension }
    /// Campaign c's baseline offset (a population effect).
    public func campaign(_ c: Int) -> Int { availability + 1 + c }
    /// The first cluster parameter.
    var groupBase: Int { availability + 1 + campaignCount }
    var groupStride: Int { 2 + labelCount + windowCount }
    public func groupBaseline(_ g: Int) -> Int { groupBase + g * groupStride }
    public func groupMessage(_ g: Int) -> Int { groupBase + g * groupStride + 1 }
    public func groupLabel(_ g: Int, _ l: Int) -> Int { groupBase + g * groupStride + 2 + l }
    public func groupWindow(_ g: Int, _ w: Int) -> Int { groupBase + g * groupStride + 2 + labelCount + w }
    /// The global parameters in all.
    public var count: Int { groupBase + groupCount * groupStride }

    /// The order the global Hessian is factored in: the cluster blocks, then the population effects. The
    /// Hessian is an arrowhead (no row has effects of two clusters), so in this order its Cholesky factor
    /// fills in nothing outside the blocks and the last rows.
    public var factorOrder: [Int] { Array(groupBase..<count) + Array(0..<groupBase) }

    /// The kinds of effect whose prior standard deviation is learned.
    public enum Component: String, CaseIterable, Sendable, Codable {
        case clusterBaseline = "cluster_baseline"
        case clusterMessage = "cluster_message"
        case clusterLabel = "cluster_label"
        case clusterWindow = "cluster_window"
        case individualBaseline = "individual_baseline"
        case individualLabel = "individual_label"
    }

    /// The learned component of global parameter `index`, or `nil` for a population effect.
    public func component(of index: Int) -> Component? {
        guard index >= groupBase else { return nil }
        let offset = (index - groupBase) % groupStride
        switch offset {
        case 0: return .clusterBaseline
        case 1: return .clusterMessage
        case 2..<(2 + labelCount): return .clusterLabel
        default: return .clusterWindow
        }
    }
}
