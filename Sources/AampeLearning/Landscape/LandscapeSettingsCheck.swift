import AampeCore

// The landscape's fits trap on out-of-range settings, which are a caller's bug once checked. Settings that
// come from outside (a configuration file, a command's options) are checked here first, at the trust
// boundary, against `Limits` and the data's shape.

extension PCAModel {
    /// Throws `LearningError.invalidOption` unless 1 ≤ `components` ≤ `columns` and `components` ≤
    /// `Limits.maximumLandscapeComponents`. `option` names the setting as the user spells it.
    public static func checkComponents(
        _ components: Int,
        columns: Int,
        option: String = "components"
    )
        throws(LearningError)
    {
        let limit = Limits.maximumLandscapeComponents
        guard components >= 1 else { throw .invalidOption(name: option, reason: "must be at least 1") }
        guard components <= limit else {
            throw .invalidOption(name: option, reason: "is \(components); the limit is \(limit)")
        }
        guard components <= columns else {
            throw .invalidOption(name: option, reason: "is \(components), more than the \(columns) features")
        }
    }
}

extension KMeans {
    /// Throws `LearningError.invalidOption` unless the cluster counts in `range` start at 2 or more (a
    /// silhouette compares clusters), end at most at `rows`, and end at most at
    /// `Limits.maximumLandscapeClusters`. `option` names the setting as the user spells it.
    public static func checkClusters(
        _ range: ClosedRange<Int>,
        rows: Int,
        option: String = "clusters"
    )
        throws(LearningError)
    {
        let limit = Limits.maximumLandscapeClusters
        guard range.lowerBound >= 2 else { throw .invalidOption(name: option, reason: "must start at 2 or more") }
        guard range.upperBound <= limit else {
            throw .invalidOption(name: option, reason: "goes up to \(range.upperBound); the limit is \(limit)")
        }
        guard range.upperBound <= rows else {
            throw .invalidOption(name: option, reason: "goes up to \(range.upperBound), more than the \(rows) users")
        }
    }

    /// Throws `LearningError.invalidOption` unless 1 ≤ `size` ≤ `Limits.maximumSilhouetteSampleRows`.
    public static func checkSilhouetteSampleSize(
        _ size: Int,
        option: String = "silhouette-sample"
    ) throws(LearningError) {
        let limit = Limits.maximumSilhouetteSampleRows
        guard size >= 1 else { throw .invalidOption(name: option, reason: "must be at least 1") }
        guard size <= limit else { throw .invalidOption(name: option, reason: "is \(size); the limit is \(limit)") }
    }
}
