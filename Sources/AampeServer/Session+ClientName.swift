internal import AampeCore

extension Session {
    /// HELLO's `client_name` as kept for logs: cut to ``Limits/maximumClientNameCharacters`` characters.
    static func keptClientName(fromHello name: String) -> String {
        String(name.prefix(Limits.maximumClientNameCharacters))
    }
}
