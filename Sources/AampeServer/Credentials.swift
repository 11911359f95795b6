internal import Crypto
internal import Foundation

/// The tokens a server accepts in HELLO: one for clients, and an optional one for admin operations
/// (RELOAD and, later, destructive commands).
///
/// A client proves a token either by sending it (fine on the Unix socket) or by sending
/// HMAC-SHA256(token, nonce) over the GREETING's random nonce, which never puts the token on the wire
/// and cannot be replayed on another connection. Both comparisons take the same time whatever the input.
public struct Credentials: Sendable {
    let clientToken: [UInt8]
    let adminToken: [UInt8]?

    /// Tokens given directly (tests, embedding).
    public init(clientToken: [UInt8], adminToken: [UInt8]?) {
        precondition(!clientToken.isEmpty, "empty client token")
        self.clientToken = clientToken
        self.adminToken = adminToken
    }

    /// Reads the tokens from files, each holding one token on its first line. A file must be readable by
    /// its owner only (mode 0600 or stricter), or the server refuses to start.
    public static func load(tokenFile: String, adminTokenFile: String?) throws -> Credentials {
        let client = try readToken(tokenFile)
        let admin = try adminTokenFile.map(readToken)
        return Credentials(clientToken: client, adminToken: admin)
    }

    /// The token in `path`, after checking the file's mode.
    public static func readToken(_ path: String) throws -> [UInt8] {
        let attributes: [FileAttributeKey: Any]
        do {
            attributes = try FileManager.default.attributesOfItem(atPath: path)
        } catch {
            throw ServerError.unreadableTokenFile(path: path, reason: "it does not exist or cannot be examined")
        }
        let mode = (attributes[.posixPermissions] as? NSNumber)?.uint32Value ?? 0o777
        if mode & 0o077 != 0 { throw ServerError.tokenFileTooOpen(path: path, mode: mode) }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ServerError.unreadableTokenFile(path: path, reason: "cannot read it")
        }
        let line = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        let token = line.trimmingCharacters(in: .whitespaces)
        guard token.utf8.count >= 16 else {
            throw ServerError.unreadableTokenFile(path: path, reason: "the token must be at least 16 characters")
        }
        return Array(token.utf8)
    }

    /// What a HELLO credential proves.
    enum Grant: Equatable {
        case none, client, admin
    }

    /// Checks a token sent in the clear.
    func grant(forToken token: [UInt8]) -> Grant {
        if let adminToken, Self.constantTimeEqual(token, adminToken) { return .admin }
        return Self.constantTimeEqual(token, clientToken) ? .client : .none
    }

    /// Checks HMAC-SHA256(token, nonce).
    func grant(forHMAC mac: [UInt8], nonce: [UInt8]) -> Grant {
        if let adminToken, Self.isValid(mac: mac, nonce: nonce, token: adminToken) { return .admin }
        return Self.isValid(mac: mac, nonce: nonce, token: clientToken) ? .client : .none
    }

    private static func isValid(mac: [UInt8], nonce: [UInt8], token: [UInt8]) -> Bool {
        // swift-crypto's validation compares in constant time.
        HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: nonce, using: SymmetricKey(data: token))
    }

    /// Compares without an early exit, so the time taken does not reveal where the inputs differ.
    static func constantTimeEqual(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for index in lhs.indices { difference |= lhs[index] ^ rhs[index] }
        return difference == 0
    }
}
