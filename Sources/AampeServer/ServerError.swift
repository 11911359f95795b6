/// Why the server could not start or keep running. Descriptions name the path, address or setting.
public enum ServerError: Error, Hashable, Sendable, CustomStringConvertible {
    /// An address could not be parsed.
    case invalidAddress(String, reason: String)
    /// A token file is readable by others than its owner.
    case tokenFileTooOpen(path: String, mode: UInt32)
    /// A token file could not be read or holds no token.
    case unreadableTokenFile(path: String, reason: String)
    /// TCP was asked for without a token to authenticate clients.
    case tcpWithoutCredentials
    /// The Unix socket path is held by something else: a live server, or a file that is not a socket.
    case socketPathInUse(path: String, reason: String)
    /// Binding a listener failed.
    case bindFailed(address: String, reason: String)
    /// A setting is out of range.
    case invalidSetting(name: String, reason: String)

    public var description: String {
        switch self {
        case .invalidAddress(let text, let reason): "address '\(text)': \(reason)"
        case .tokenFileTooOpen(let path, let mode):
            "\(path): token file has mode \(String(mode, radix: 8)); it must be readable by its owner only (chmod 600)"
        case .unreadableTokenFile(let path, let reason): "\(path): cannot read token: \(reason)"
        case .tcpWithoutCredentials: "TCP needs credentials: give a token file (--token-file) to listen on TCP"
        case .socketPathInUse(let path, let reason): "\(path): \(reason)"
        case .bindFailed(let address, let reason): "\(address): cannot listen: \(reason)"
        case .invalidSetting(let name, let reason): "setting \(name): \(reason)"
        }
    }
}
