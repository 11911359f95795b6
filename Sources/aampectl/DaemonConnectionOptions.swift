import AampeClient
import AampeCore
import AampeProtocol
import ArgumentParser
import Foundation

/// How `aampectl` reaches a running `aamped`: its Unix socket (default: the data directory's), or TCP with
/// a token.
struct DaemonConnectionOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp("The daemon's Unix socket. Default: aamped.sock in the data directory.", valueName: "path")
    )
    var unix: String?

    @Option(
        help: ArgumentHelp(
            "Connect over TCP instead, such as 127.0.0.1:7420. Needs --token-file.",
            valueName: "host:port"
        )
    )
    var tcp: String?

    @Option(
        name: .customLong("token-file"),
        help: ArgumentHelp(
            "File holding the token to present (the admin token for admin commands over TCP).",
            valueName: "file"
        )
    )
    var tokenFile: String?

    @Option(help: ArgumentHelp("Seconds to wait for each answer.", valueName: "seconds"))
    var timeout: Double = 10

    /// A client for the daemon serving `dataDirectory`.
    func client(dataDirectory: DataDirectory, wantsAdmin: Bool = false) throws -> AampeClient {
        let address: BindAddress
        if let tcp {
            guard let parsed = BindAddress(tcp: tcp) else {
                throw ValidationError("--tcp '\(tcp)': expected HOST:PORT")
            }
            guard tokenFile != nil else { throw ValidationError("--tcp needs --token-file") }
            address = parsed
        } else {
            address = .unix(path: unix ?? dataDirectory.socketPath)
        }
        var configuration = AampeClient.Configuration(address: address)
        if let tokenFile {
            guard let data = FileManager.default.contents(atPath: tokenFile) else {
                throw ValidationError("--token-file: cannot read \(tokenFile)")
            }
            let token =
                String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline).first.map {
                    $0.trimmingCharacters(in: .whitespaces)
                } ?? ""
            // HMAC over the greeting's nonce: the token itself never crosses the connection.
            configuration.credential = .tokenHMAC(Array(token.utf8))
        }
        configuration.wantsAdmin = wantsAdmin
        configuration.clientName = "aampectl/\(AampeVersion.current)"
        configuration.requestTimeout = .milliseconds(Int64(timeout * 1000))
        configuration.connectTimeout = .milliseconds(Int64(min(timeout, 5) * 1000))
        guard timeout > 0 else { throw ValidationError("--timeout must be positive") }
        return AampeClient(configuration: configuration)
    }
}
