import Foundation

/// What a stepped world remembers between days, in `<world>/state/state.json`. With the settings (the
/// world itself is re-derived from the seed) it is everything the next day needs:
///
/// | field            | meaning                                                                   |
/// |------------------|---------------------------------------------------------------------------|
/// | version          | 1                                                                         |
/// | settings         | the world's settings                                                      |
/// | next_day         | index of the next UTC day to simulate (0 is the start date)               |
/// | last_visit_day   | per user, Int32 little-endian, base64: local day of the last visit        |
/// | visit_debt       | per user, one byte: organic visits owed to cannibalization                |
/// | purchase_debt    | per user, one byte: organic purchases owed to cannibalization             |
/// | withdrawn        | per user, one byte: consent bits (`Population.contact*Consent`) withdrawn |
/// | fatigue          | users with recent sends: their send times (UTC seconds) and choice codes  |
/// | sends_bytes      | size of `truth/sends.csv` after the last complete day                     |
/// | pending_bytes    | size of each file under `state/pending/` after the last complete day      |
///
/// A day that fails half-way leaves files longer than the state says; opening the world cuts them
/// back, so the day can be simulated again.
struct LiveState: Codable {
    struct Fatigue: Codable {
        var user: Int
        var seconds: [Int64]
        var choices: [Int]
    }

    var version = 1
    var settings: WorldSettings
    var nextDay: Int
    var lastVisitDay: Data
    var visitDebt: Data
    var purchaseDebt: Data
    var withdrawn: Data
    var fatigue: [Fatigue]
    var sendsBytes: Int
    var pendingBytes: [String: Int]

    enum CodingKeys: String, CodingKey {
        case version, settings
        case nextDay = "next_day"
        case lastVisitDay = "last_visit_day"
        case visitDebt = "visit_debt"
        case purchaseDebt = "purchase_debt"
        case withdrawn, fatigue
        case sendsBytes = "sends_bytes"
        case pendingBytes = "pending_bytes"
    }
}

extension Data {
    init<T>(copying buffer: UnsafeMutableBufferPointer<T>) {
        self.init(buffer: UnsafeBufferPointer(buffer))
    }

    /// Copies the bytes into `buffer`, which must be exactly as long.
    func copy<T>(into buffer: UnsafeMutableBufferPointer<T>) -> Bool {
        guard count == buffer.count * MemoryLayout<T>.stride else { return false }
        _ = copyBytes(to: buffer)
        return true
    }
}
