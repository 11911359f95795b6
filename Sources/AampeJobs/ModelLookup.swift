public import AampeCore
public import AampeLearning
import AampeSegments

/// Reads a generation's model for `aampectl model report`.
public enum ModelLookup {
    /// The live generation's model. No generation, or one without a model, throws with what to run.
    public static func current(directory: DataDirectory) throws -> ServedModel {
        let generations = GenerationStore(dataDirectory: directory)
        guard let live = try generations.openCurrent(), live.contains(model: ModelFiles.model) else {
            throw JobError(.noData(detail: "the live generation has no model; run `aampectl train model` first"))
        }
        return try ServedModel(generation: live)
    }
}
