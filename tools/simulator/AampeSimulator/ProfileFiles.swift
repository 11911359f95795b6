import Dispatch
import Foundation

/// The users file and the catalog file, written once, as a CDP or a shop system exports them.
enum ProfileFiles {
    /// `users.csv`: what the app knows about each user. Channels are present for some users only, and
    /// consent is given for some of those.
    static func writeUsers(world: World, path: String, threads: Int) throws {
        let population = world.population
        let encoder = world.encoder
        try writeTable(
            path: path,
            header:
                "user_id,first_name,country,language,timezone,email,email_consent,phone,sms_consent,push_token,push_consent\n",
            rows: population.count,
            threads: threads
        ) { user, out in
            let country = Country.all[Int(population.country[user])]
            let name = country.names[Int(population.firstName[user])]
            let flags = population.contact[user]
            func flag(_ present: UInt8, _ consent: UInt8) -> String {
                flags & present == 0 ? "" : (flags & consent != 0 ? "true" : "false")
            }
            func text(_ value: String) { out.append(Array(value.utf8)) }
            text(encoder.userID(user) + "," + name.display + "," + country.code + "," + country.language + ",")
            text(Country.zoneNames[Int(population.zone[user])] + ",")
            if flags & Population.contactEmail != 0 { text("\(name.ascii).\(user)@example.com") }
            text("," + flag(Population.contactEmail, Population.contactEmailConsent) + ",")
            if flags & Population.contactPhone != 0 {
                // A fictional number: the country prefix and nine digits derived from the user.
                text(
                    country.phonePrefix
                        + String(100_000_000 + Int(SimRandom.mix(UInt64(user) ^ world.keySalt) % 900_000_000))
                )
            }
            text("," + flag(Population.contactPhone, Population.contactSMSConsent) + ",")
            if flags & Population.contactPush != 0 {
                out.appendHex(SimRandom.mix(UInt64(user) &+ world.keySalt), digits: 16)
                out.appendHex(SimRandom.mix(UInt64(user) ^ 0xA5A5_5A5A_A5A5_5A5A), digits: 16)
            }
            text("," + flag(Population.contactPush, Population.contactPushConsent) + "\n")
        }
    }

    static let titleWords = (
        first: [
            "Silent", "Golden", "Last", "Hidden", "Broken", "Electric", "Midnight", "Wild", "Little", "Iron", "Crimson",
            "Lost",
        ],
        second: [
            "Harbor", "Garden", "Signal", "Empire", "Voyage", "River", "Machine", "Kingdom", "Secret", "Horizon",
            "Circus", "Orbit",
        ]
    )

    /// `catalog.csv`: item id, title, category, genres (`|`-separated), price and units in stock on the
    /// last day. Some titles hold a comma, so the file exercises CSV quoting.
    static func writeCatalog(world: World, path: String) throws {
        let catalog = world.catalog
        let encoder = world.encoder
        try writeTable(
            path: path,
            header: "item_id,title,category,genres,price,stock\n",
            rows: catalog.count,
            threads: 1
        ) { item, out in
            let mixed = SimRandom.mix(UInt64(item) ^ world.keySalt)
            let first = titleWords.first[Int(mixed % 12)]
            let second = titleWords.second[Int((mixed >> 8) % 12)]
            let title =
                (mixed >> 16) % 5 == 0 ? "\"\(first) \(second), Part \(item % 4 + 2)\"" : "\(first) \(second) \(item)"
            let genres = catalog.genres[Int(catalog.genreStart[item])..<Int(catalog.genreStart[item + 1])]
                .map { Vocabulary.genres[Int($0)] }.joined(separator: "|")
            let row =
                "\(encoder.itemID(item)),\(title),\(Vocabulary.categories[Int(catalog.category[item])]),\(genres),"
                + "\(centsText(Int(catalog.priceCents[item]))),\(catalog.finalQuantity[item])\n"
            out.append(Array(row.utf8))
        }
    }
}

/// Writes `rows` rows formatted by `format`, in parallel chunks written in order.
func writeTable(
    path: String,
    header: String,
    rows: Int,
    threads: Int,
    format: @escaping (Int, OutputBuffer) -> Void
) throws {
    guard let handle = fopen(path, "wb") else { throw SimulatorError.io(path: path, operation: "open", errno: errno) }
    defer { fclose(handle) }
    func put(_ bytes: UnsafeRawBufferPointer) throws {
        if bytes.count > 0, fwrite(bytes.baseAddress, 1, bytes.count, handle) != bytes.count {
            throw SimulatorError.io(path: path, operation: "write", errno: errno)
        }
    }
    try Array(header.utf8).withUnsafeBytes { try put($0) }
    let chunk = 8_192
    let batch = max(1, threads * 2)
    let buffers = (0..<batch).map { _ in OutputBuffer(capacity: 1 << 20) }
    var first = 0
    while first < rows {
        let count = min(batch, (rows - first + chunk - 1) / chunk)
        let base = first
        let work = { (index: Int) in
            let out = buffers[index]
            out.removeAll()
            for row in (base + index * chunk)..<min(rows, base + (index + 1) * chunk) { format(row, out) }
        }
        parallelFor(count, threads: threads, work)
        for index in 0..<count { try buffers[index].withUnsafeBytes { try put($0) } }
        first += count * chunk
    }
    guard fflush(handle) == 0 else { throw SimulatorError.io(path: path, operation: "write", errno: errno) }
}
