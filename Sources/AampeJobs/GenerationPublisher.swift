public import AampeCore
public import AampeSegments

/// Builds and publishes a generation for one model: starts `N.tmp/`, lets the model write its files,
/// carries the live generation's other models over, publishes, and retires old generations.
///
/// A job calls ``publish(model:in:retainedGenerations:write:)`` once, from inside a ``BatchRun`` that
/// holds the job lock, with a closure that writes the model's files through the ``GenerationBuilder``.
/// Publication is the rename of `N.tmp/` to `N/` and the replacement of `CURRENT` (see
/// ``GenerationStore``): until then no reader sees anything, and a failure or a crash leaves the live
/// generation as it was. A daemon picks the new generation up on its next poll or RELOAD. Retiring old
/// generations comes after publication and never undoes it; a failure there is reported in the
/// ``Outcome``, not thrown.
public enum GenerationPublisher {
    /// What a publication did.
    public struct Outcome: Codable, Sendable {
        /// The generation published.
        public var generation: UInt64
        /// Models linked in unchanged from the generation that was live.
        public var carriedOver: [String]
        /// Generations deleted after publication.
        public var retired: [UInt64]
        /// Generations due for deletion but held open by a reader (such as the daemon).
        public var retirementHeld: [UInt64]
        /// Set when retiring old generations failed. The new generation is published and live
        /// regardless; the old folders stay until a later run retires them.
        public var retirementError: String?

        enum CodingKeys: String, CodingKey {
            case generation, retired
            case carriedOver = "carried_over"
            case retirementHeld = "retirement_held"
            case retirementError = "retirement_error"
        }
    }

    /// Publishes a generation in which `model` is what `write` writes and every other model is carried
    /// over from the live generation. Call it holding the job lock (``BatchRun``). On any failure
    /// before publication the unpublished folder is removed and the live generation is untouched.
    public static func publish(
        model: String,
        in directory: DataDirectory,
        retainedGenerations: Int = 3,
        write: (GenerationBuilder) throws -> Void
    ) throws -> Outcome {
        let generations = GenerationStore(dataDirectory: directory, retainedGenerations: retainedGenerations)
        let builder = try generations.begin()
        let number: GenerationNumber
        let carried: [String]
        do {
            try write(builder)
            if let live = try generations.openCurrent() {
                carried = try builder.carryOver(from: live, replacing: [model])
            } else {
                carried = []
            }
            number = try builder.publish()
        } catch {
            do { try builder.discard() } catch let discardError {
                throw SegmentError(
                    path: builder.temporaryPath,
                    reason: .generation(detail: "\(error); removing the unpublished folder failed too: \(discardError)")
                )
            }
            throw error
        }
        var outcome = Outcome(generation: number.rawValue, carriedOver: carried, retired: [], retirementHeld: [])
        do {
            let report = try generations.retireOld()
            outcome.retired = report.deleted.map(\.rawValue)
            outcome.retirementHeld = report.held.map(\.rawValue)
        } catch {
            outcome.retirementError = "\(error)"
        }
        return outcome
    }
}
