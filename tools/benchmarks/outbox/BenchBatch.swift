import AampeCore
import AampeOutbox
import Foundation

/// The benchmark's messages: the size and shape of a real push or email (a subject, a body of about 100
/// bytes, two labels, three items), so that PULL carries what a consumer would get. Redis's entries carry
/// the same fields (``RedisBench``).
enum BenchBatch {
    static let channels: [OutboxChannel] = [.push, .email, .sms, .inApp]

    static func record(_ row: Int, start: Timestamp, windowHours: Int) -> OutboxRecord {
        let user = "user-\(row)"
        return OutboxRecord(
            user: user,
            campaign: "spring-sale-2026",
            formula: "trail-runner-restock",
            variant: row % 24,
            labels: ["value_proposition=discount", "tone=plain"],
            channel: channels[row % 4],
            address: user + "@example.com",
            fields: [
                .init(name: "subject", text: "Back in stock: Trail Runner 2"),
                .init(
                    name: "body",
                    text: "Hi \(user), the Trail Runner 2 you looked at is back in your size and 20% off until Sunday."
                ),
            ],
            items: ["sku-3307", "sku-0412", "sku-7781"],
            windowStart: start.adding(microseconds: -3_600_000_000),
            windowEnd: start.adding(microseconds: Int64(windowHours) * 3_600_000_000),
            propensity: 0.25,
            mode: "conditioned",
            weeklyWindow: 4
        )
    }

    static func write(_ options: Options) throws {
        let folder = OutboxFolder(path: options.string("outbox"))
        let batch = UInt32(options.int("batch"))
        let count = options.int("count")
        let start = Timestamp(rawValue: Int64(options.int("start-micros")))
        let windowHours = options.int("window-hours", default: 48)
        try FileManager.default.createDirectory(atPath: folder.folder(of: batch), withIntermediateDirectories: true)
        let records = (0..<count).map { record($0, start: start, windowHours: windowHours) }
        try OutboxBatch.write(records, to: folder.messagesPath(of: batch), createdAt: start)
    }
}
