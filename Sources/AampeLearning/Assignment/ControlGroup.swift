import AampeCore

/// The global control group: a fixed share of users who are never messaged, so that incremental lift can
/// be measured against them.
///
/// Membership is a pure function of the salt and the external user id, so a user stays in (or out of) the
/// control group across runs, processes and machines, and any tool can reproduce it. The formula:
///
/// ```
/// bytes = UTF-8(salt) ‖ 0x1F ‖ UTF-8(userID)           0x1F is the ASCII unit separator
/// h     = 0xCBF2_9CE4_8422_2325                         64-bit FNV-1a offset basis
/// for b in bytes: h = (h XOR b) · 0x0000_0100_0000_01B3  mod 2^64   (FNV-1a prime)
/// h = h XOR (h >> 33);  h = h · 0xFF51_AFD7_ED55_8CCD  mod 2^64      MurmurHash3's fmix64 finalizer
/// h = h XOR (h >> 33);  h = h · 0xC4CE_B9FE_1A85_EC53  mod 2^64
/// h = h XOR (h >> 33)
/// u = (h >> 11) / 2^53                                   a uniform in [0, 1) from the top 53 bits
/// isControl = u < share
/// ```
///
/// The finalizer is there because FNV-1a alone barely mixes the last bytes into the top bits: ids that
/// differ only in their last character (`user-1`, `user-2`) would otherwise get nearby `u`. Swift's
/// `Hasher` is not used because it is seeded randomly per process.
///
/// Raising the share keeps every current member in the group (a member's `u` stays below the larger
/// share); a new salt draws a new, independent group.
public struct ControlGroup: Hashable, Sendable {
    /// The share of users in the control group when none is given: 5 %.
    public static let defaultShare = 0.05

    /// Mixed into every user's hash; a different salt gives an independent control group.
    public let salt: String
    /// The share of users in the control group, in (0, ``Limits/maximumControlGroupShare``].
    public let share: Double

    /// A control group of `share` of users under `salt`.
    ///
    /// - Throws: ``LearningError/invalidOption(name:reason:)`` for `control-share` when `share` is not in
    ///   (0, ``Limits/maximumControlGroupShare``] (NaN included).
    public init(salt: String, share: Double = ControlGroup.defaultShare) throws {
        guard share > 0, share <= Limits.maximumControlGroupShare else {
            throw LearningError.invalidOption(
                name: "control-share",
                reason: "expected a share above 0 and at most \(Limits.maximumControlGroupShare), got \(share)"
            )
        }
        self.salt = salt
        self.share = share
    }

    /// Whether the user with external id `userID` is in the control group (never messaged).
    public func isControl(userID: String) -> Bool {
        Self.unitValue(salt: salt, userID: userID) < share
    }

    /// The user's uniform value `u` in [0, 1) under `salt`, as the type's documentation defines it; a user
    /// is in a control group of share `s` exactly when `u < s`.
    public static func unitValue(salt: String, userID: String) -> Double {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        func mix(_ byte: UInt8) {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        for byte in salt.utf8 { mix(byte) }
        mix(0x1F)
        for byte in userID.utf8 { mix(byte) }
        hash ^= hash >> 33
        hash = hash &* 0xFF51_AFD7_ED55_8CCD
        hash ^= hash >> 33
        hash = hash &* 0xC4CE_B9FE_1A85_EC53
        hash ^= hash >> 33
        return Double(hash >> 11) * 0x1p-53
    }
}
