/// What one model builds from a generation when the daemon loads it: mapped columns, dictionaries and
/// whatever else serving needs, checked once.
///
/// A model registers its view with the daemon's generation manager; the manager builds every
/// registered view whose ``model`` the new generation holds, and swaps the generation in only when all
/// of them build. Adding a model to what the daemon serves is one registration.
public protocol ModelView: Sendable {
    /// The model's folder in a generation (``GenerationFile/model``).
    static var model: String { get }

    /// Builds the view from `generation`, which holds ``model``. Errors name the file and the check.
    init(generation: Generation) throws
}
