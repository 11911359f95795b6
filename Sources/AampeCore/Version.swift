/// The version of aamped that this build is.
public enum AampeVersion {
    /// The release version, printed by `aampectl --version` and `aamped --version`.
    public static let current = "0.1.0"
}
