/// One event as the simulated app reports it, before it is written in an export layout.
struct SimulatedEvent {
    var kind: Vocabulary.Event
    var user: Int
    /// Item index, or -1 for events without one.
    var item: Int
    var utcMillis: Int64
    /// Revenue (purchase) or cart value (checkout) in cents; -1 for none.
    var valueCents: Int
    /// Items in the cart, for checkout.
    var cartItems: Int
    /// The event's idempotency key, 128 bits, written as a UUID.
    var keyHigh: UInt64
    var keyLow: UInt64
    /// The message a `message_clicked` event answers (property `message_id`); 0 for other events.
    var messageID: UInt64 = 0
}

/// Writes events as lines of one export layout. The layouts match what the CDPs export (see
/// ``WorldSettings/DumpFormat``); aamped's importer detects each of them on its own.
struct DumpEncoder: Sendable {
    let format: WorldSettings.DumpFormat
    let userIDWidth: Int
    let itemIDWidth: Int
    /// `YYYY-MM-DD` of UTC day `firstEpochDay + index`.
    private let dayTexts: [[UInt8]]
    private let firstEpochDay: Int
    private let eventNames: [[UInt8]]
    private let categoryNames: [[UInt8]]
    private let catalog: Catalog

    init(settings: WorldSettings, catalog: Catalog, firstEpochDay: Int, dayCount: Int) {
        format = settings.format
        userIDWidth = max(7, String(settings.users - 1).count)
        itemIDWidth = max(5, String(settings.items - 1).count)
        self.firstEpochDay = firstEpochDay
        dayTexts = (0..<dayCount).map { Array(CivilDate.text(epochDay: firstEpochDay + $0).utf8) }
        eventNames = Vocabulary.Event.allCases.map { Array($0.name.utf8) }
        categoryNames = Vocabulary.categories.map { Array($0.utf8) }
        self.catalog = catalog
    }

    /// The first line of every dump file (CSV only).
    var header: StaticString? {
        format == .csv ? "event_id,timestamp,user_id,event,item_id,value\n" : nil
    }

    func userID(_ user: Int) -> String {
        "u" + String(repeating: "0", count: max(0, userIDWidth - String(user).count)) + String(user)
    }
    func itemID(_ item: Int) -> String {
        "i" + String(repeating: "0", count: max(0, itemIDWidth - String(item).count)) + String(item)
    }

    /// Appends `event` as one line, newline included.
    @inline(__always)
    func encode(_ event: SimulatedEvent, into out: OutputBuffer) {
        switch format {
        case .segment:
            out.append("{\"type\":\"track\",\"messageId\":\"")
            appendUUID(event, out)
            out.append("\",\"userId\":\"")
            appendUser(event.user, out)
            out.append("\",\"event\":\"")
            out.append(eventNames[event.kind.rawValue])
            out.append("\",\"timestamp\":\"")
            appendISOTime(event.utcMillis, separator: UInt8(ascii: "T"), out)
            out.append("Z\",\"properties\":{")
            appendProperties(event, out, leadingComma: false)
            out.append("}}\n")
        case .mixpanel:
            out.append("{\"event\":\"")
            out.append(eventNames[event.kind.rawValue])
            out.append("\",\"properties\":{\"time\":")
            out.appendDecimal(Int(event.utcMillis / 1000))
            out.append(",\"distinct_id\":\"")
            appendUser(event.user, out)
            out.append("\",\"$insert_id\":\"")
            out.appendHex(event.keyHigh, digits: 16)
            out.appendHex(event.keyLow, digits: 16)
            out.append("\"")
            appendProperties(event, out, leadingComma: true)
            out.append("}}\n")
        case .amplitude:
            out.append("{\"insert_id\":\"")
            appendUUID(event, out)
            out.append("\",\"user_id\":\"")
            appendUser(event.user, out)
            out.append("\",\"event_type\":\"")
            out.append(eventNames[event.kind.rawValue])
            out.append("\",\"event_time\":\"")
            appendISOTime(event.utcMillis, separator: UInt8(ascii: " "), out)
            out.append("000\",\"event_properties\":{")
            appendProperties(event, out, leadingComma: false)
            out.append("}}\n")
        case .csv:
            appendUUID(event, out)
            out.append(UInt8(ascii: ","))
            appendISOTime(event.utcMillis, separator: UInt8(ascii: "T"), out)
            out.append("Z,")
            appendUser(event.user, out)
            out.append(UInt8(ascii: ","))
            out.append(eventNames[event.kind.rawValue])
            out.append(UInt8(ascii: ","))
            if event.item >= 0 { appendItem(event.item, out) }
            out.append(UInt8(ascii: ","))
            if event.valueCents >= 0 { out.appendCents(event.valueCents) }
            out.append(UInt8(ascii: "\n"))
        }
    }

    @inline(__always)
    private func appendUser(_ user: Int, _ out: OutputBuffer) {
        out.append(UInt8(ascii: "u"))
        out.appendDecimal(user, width: userIDWidth)
    }

    @inline(__always)
    private func appendItem(_ item: Int, _ out: OutputBuffer) {
        out.append(UInt8(ascii: "i"))
        out.appendDecimal(item, width: itemIDWidth)
    }

    /// 8-4-4-4-12 hex digits.
    @inline(__always)
    private func appendUUID(_ event: SimulatedEvent, _ out: OutputBuffer) {
        out.appendHex(event.keyHigh >> 32, digits: 8)
        out.append(UInt8(ascii: "-"))
        out.appendHex(event.keyHigh >> 16, digits: 4)
        out.append(UInt8(ascii: "-"))
        out.appendHex(event.keyHigh, digits: 4)
        out.append(UInt8(ascii: "-"))
        out.appendHex(event.keyLow >> 48, digits: 4)
        out.append(UInt8(ascii: "-"))
        out.appendHex(event.keyLow, digits: 12)
    }

    /// `YYYY-MM-DD?hh:mm:ss.mmm` in UTC.
    @inline(__always)
    private func appendISOTime(_ millis: Int64, separator: UInt8, _ out: OutputBuffer) {
        let epochDay = Int(millis / 86_400_000)
        var rest = Int(millis % 86_400_000)
        out.append(dayTexts[epochDay - firstEpochDay])
        out.append(separator)
        let hours = rest / 3_600_000
        rest -= hours * 3_600_000
        let minutes = rest / 60_000
        rest -= minutes * 60_000
        out.appendDecimal(hours, width: 2)
        out.append(UInt8(ascii: ":"))
        out.appendDecimal(minutes, width: 2)
        out.append(UInt8(ascii: ":"))
        out.appendDecimal(rest / 1000, width: 2)
        out.append(UInt8(ascii: "."))
        out.appendDecimal(rest % 1000, width: 3)
    }

    @inline(__always)
    private func appendProperties(_ event: SimulatedEvent, _ out: OutputBuffer, leadingComma: Bool) {
        switch event.kind {
        case .appOpened:
            return
        case .messageClicked:
            // The CSV layout has no properties column, so a CSV click does not name its message.
            out.append(leadingComma ? ",\"message_id\":\"" : "\"message_id\":\"")
            out.append(Array(String(event.messageID).utf8))
            out.append(UInt8(ascii: "\""))
        case .checkout:
            out.append(leadingComma ? ",\"cart_value\":" : "\"cart_value\":")
            out.appendCents(event.valueCents)
            out.append(",\"items\":")
            out.appendDecimal(event.cartItems)
        case .productViewed, .addToCart, .purchase:
            out.append(leadingComma ? ",\"product_id\":\"" : "\"product_id\":\"")
            appendItem(event.item, out)
            out.append("\",\"category\":\"")
            out.append(categoryNames[Int(catalog.category[event.item])])
            out.append("\",\"price\":")
            out.appendCents(Int(catalog.priceCents[event.item]))
            if event.kind == .purchase {
                out.append(",\"quantity\":1,\"revenue\":")
                out.appendCents(event.valueCents)
            }
        }
    }

    /// Consumes the draws ``appendMalformed(copyOf:in:into:_:)`` makes, writing nothing: a removed
    /// (cannibalized) organic event leaves the rest of its day's random stream as it was. Keep the two
    /// in step: one `chance(0.2)`, then one draw unless it came up.
    func skipMalformed(_ random: inout SimRandom) {
        if !random.chance(0.2) { _ = random.next() }
    }

    /// A broken copy of the line `line` (newline excluded), as a flaky exporter writes it: the record
    /// cut short, or a stray line of text. The importer must reject it.
    func appendMalformed(
        copyOf line: Range<Int>,
        in buffer: OutputBuffer,
        into out: OutputBuffer,
        _ random: inout SimRandom
    ) {
        if random.chance(0.2) {
            out.append(format == .csv ? "502 Bad Gateway\n" : "<html><body>502 Bad Gateway</body></html>\n")
            return
        }
        var cut: Int
        if format == .csv {
            // Cut before one of the line's commas, so the row has fewer fields than the header.
            var commas: [Int] = []
            for index in line where buffer[index] == UInt8(ascii: ",") { commas.append(index) }
            cut = commas[random.below(commas.count)]
        } else {
            // Keep at least the opening brace and lose at least the closing one: never valid JSON.
            cut = line.lowerBound + 1 + random.below(line.count - 2)
        }
        out.appendCopy(of: line.lowerBound..<cut, from: buffer)
        out.append(UInt8(ascii: "\n"))
    }
}
