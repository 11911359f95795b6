/// How strongly simulated users respond to messages.
///
/// Both settings keep the same structure (population, persona and individual copy preferences, the
/// weekly routine, fatigue); they differ in the constants of ``ResponseModel``. `truth/README.md`
/// cites the published rates the realistic setting is calibrated to, and ``Calibration`` measures a
/// world's rates from its truth.
public enum Signal: String, Sendable, Codable, CaseIterable {
    /// Message rates in the range of published push and email benchmarks (the default).
    case realistic
    /// A world where messages matter a lot and choices differ a lot: easy to learn, good for smoke tests.
    case high

    /// The response model's constants for this signal.
    public var calibration: ResponseCalibration {
        switch self {
        case .realistic:
            ResponseCalibration(
                responsivenessShiftLogits: -2.6,
                windowEffectExponent: 0.5,
                clickLiftLogits: 1.9,
                copyEffectScale: 0.4
            )
        case .high:
            ResponseCalibration(
                responsivenessShiftLogits: 0,
                windowEffectExponent: 1,
                clickLiftLogits: 1.5,
                copyEffectScale: 0.8
            )
        }
    }
}

/// The constants that set a world's message response rates.
public struct ResponseCalibration: Sendable, Codable, Equatable {
    /// Added to every user's `responsiveness` (logits).
    public var responsivenessShiftLogits: Double
    /// Multiplies `log availability(w)`: 1 keeps the routine's full effect, smaller values flatten it.
    public var windowEffectExponent: Double
    /// A click is more likely than the goal by this many logits.
    public var clickLiftLogits: Double
    /// The default standard deviation, in logits, of one label preference.
    public var copyEffectScale: Double

    enum CodingKeys: String, CodingKey {
        case responsivenessShiftLogits = "responsiveness_shift"
        case windowEffectExponent = "window_effect_exponent"
        case clickLiftLogits = "click_lift"
        case copyEffectScale = "copy_effect_scale"
    }
}
