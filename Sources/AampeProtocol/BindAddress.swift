/// Where a server listens or a client connects: a Unix domain socket or a TCP host and port.
public enum BindAddress: Hashable, Sendable, CustomStringConvertible {
    case unix(path: String)
    case tcp(host: String, port: Int)

    /// Parses `HOST:PORT` (IPv6 hosts in brackets: `[::1]:7420`), or returns `nil`.
    public init?(tcp text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (0...65535).contains(port)
        else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { return nil }
        self = .tcp(host: host, port: port)
    }

    /// `"unix"` or `"tcp"`, as GREETING reports it.
    public var transport: String {
        switch self {
        case .unix: "unix"
        case .tcp: "tcp"
        }
    }

    public var description: String {
        switch self {
        case .unix(let path): "unix:\(path)"
        case .tcp(let host, let port): host.contains(":") ? "tcp:[\(host)]:\(port)" : "tcp:\(host):\(port)"
        }
    }
}
