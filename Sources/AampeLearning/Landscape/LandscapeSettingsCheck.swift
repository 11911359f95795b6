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
