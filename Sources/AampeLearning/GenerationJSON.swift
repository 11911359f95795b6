public import AampeSegments
import Foundation

/// The JSON side files of a generation's models (`recommender.json`, `landscape.json`, ...): written
/// with sorted keys so the same model gives the same bytes, read with errors that name the file.
public enum GenerationJSON {
    /// Writes `value` as the file `file` of the generation `builder` is building.
    public static func write<Value: Encodable>(
        _ value: Value,
        as file: GenerationFile,
        into builder: GenerationBuilder
    )
        throws
    {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf",
            negativeInfinity: "-inf",
            nan: "nan"
        )
        let path = try builder.path(of: file)
        do {
            try encoder.encode(value).write(to: URL(fileURLWithPath: path))
        } catch {
            throw SegmentError(path: path, reason: .io(operation: "write", message: "\(error)"))
        }
    }

    /// Reads the file `file` of `generation` as a `Value`. A missing or malformed file throws with its
    /// path and what was wrong.
    public static func read<Value: Decodable>(
        _ type: Value.Type,
        _ file: GenerationFile,
        of generation: Generation
    )
        throws -> Value
    {
        let path = generation.path(of: file)
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "inf",
            negativeInfinity: "-inf",
            nan: "nan"
        )
        do {
            return try decoder.decode(Value.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw SegmentError(path: path, reason: .generation(detail: "unreadable \(file.name): \(error)"))
        }
    }
}
