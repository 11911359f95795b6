/// The store's items: category, genres, price, popularity, co-purchase bundle, and a stock schedule.
///
/// Co-purchase structure comes from bundles: small groups of items that sell together (a film, its
/// soundtrack and its poster). A user who puts one in the cart often goes on to view and buy another
/// from the same bundle, so an item-item model has real signal to find.
final class Catalog: Sendable {
    let count: Int
    let category: [UInt8]
    /// Genre indices of item `i` are `genres[genreStart[i] ..< genreStart[i + 1]]`.
    let genreStart: [Int32]
    let genres: [UInt8]
    let priceCents: [Int32]
    let popularity: [Float]
    /// Bundle of each item; members of bundle `b` are `bundleMembers[bundleStart[b] ..< bundleStart[b + 1]]`.
    let bundle: [Int32]
    let bundleStart: [Int32]
    let bundleMembers: [Int32]
    /// Items of each (category, genre) bucket and their cumulative popularity, for sampling.
    let bucketStart: [Int32]
    let bucketItems: [Int32]
    let bucketCumulative: [Float]
    /// The same per category alone (an item appears once), the fallback for an empty bucket.
    let categoryStart: [Int32]
    let categoryItems: [Int32]
    let categoryCumulative: [Float]
    /// Cumulative popularity over all items, for browsing outside one's tastes.
    let globalCumulative: [Float]
    /// `isInStock[item * stockDays + day]` for simulated days `-1 ..< days + 1` (index 0 is day -1).
    let isInStock: [Bool]
    let stockDays: Int
    /// Units on hand at the end of the last day; 0 when out of stock.
    let finalQuantity: [Int32]

    static let bucketCount = Vocabulary.categories.count * Vocabulary.genres.count

    init(settings: WorldSettings) {
        let count = settings.items
        self.count = count
        var random = SimRandom(seed: settings.seed, Purpose.catalog)
        let categoryCumulative = cumulative(Vocabulary.categoryShares)
        var category = [UInt8](repeating: 0, count: count)
        var genreStart: [Int32] = [0]
        var genres: [UInt8] = []
        var priceCents = [Int32](repeating: 0, count: count)
        for item in 0..<count {
            let c = pick(categoryCumulative, &random)
            category[item] = UInt8(c)
            // One to three distinct genres; the first is the primary one.
            let genreCount = 1 + random.below(3)
            var chosen: [UInt8] = []
            while chosen.count < genreCount {
                let g = UInt8(random.below(Vocabulary.genres.count))
                if !chosen.contains(g) { chosen.append(g) }
            }
            genres += chosen
            genreStart.append(Int32(genres.count))
            // Log-normal around the category's median, ending in .99 like shop prices.
            let raw = Double(Vocabulary.medianPriceCents[c]) * exp(0.35 * random.normal())
            priceCents[item] = Int32(max(1, (raw / 100).rounded(.down))) * 100 + 99
        }
        // Popularity follows a Zipf-like law over a random ranking.
        var ranking = Array(0..<count)
        for index in stride(from: count - 1, to: 0, by: -1) { ranking.swapAt(index, random.below(index + 1)) }
        var popularity = [Float](repeating: 0, count: count)
        for (rank, item) in ranking.enumerated() { popularity[item] = Float(1 / pow(Double(rank + 1), 0.8)) }

        // Bundles: items grouped by primary genre, shuffled, cut into groups of 2 to 5.
        var byPrimaryGenre = [[Int32]](repeating: [], count: Vocabulary.genres.count)
        for item in 0..<count { byPrimaryGenre[Int(genres[Int(genreStart[item])])].append(Int32(item)) }
        var bundle = [Int32](repeating: 0, count: count)
        var bundleStart: [Int32] = [0]
        var bundleMembers: [Int32] = []
        for var members in byPrimaryGenre {
            for index in stride(from: members.count - 1, to: 0, by: -1) {
                members.swapAt(index, random.below(index + 1))
            }
            var position = 0
            while position < members.count {
                let size = min(2 + random.below(4), members.count - position)
                let id = Int32(bundleStart.count - 1)
                for member in members[position..<(position + size)] {
                    bundle[Int(member)] = id
                    bundleMembers.append(member)
                }
                bundleStart.append(Int32(bundleMembers.count))
                position += size
            }
        }

        // Sampling tables.
        var buckets = [[Int32]](repeating: [], count: Catalog.bucketCount)
        var categories = [[Int32]](repeating: [], count: Vocabulary.categories.count)
        for item in 0..<count {
            let c = Int(category[item])
            categories[c].append(Int32(item))
            for g in genres[Int(genreStart[item])..<Int(genreStart[item + 1])] {
                buckets[c * Vocabulary.genres.count + Int(g)].append(Int32(item))
            }
        }
        func flatten(_ lists: [[Int32]]) -> ([Int32], [Int32], [Float]) {
            var start: [Int32] = [0]
            var items: [Int32] = []
            var sums: [Float] = []
            for list in lists {
                var running: Float = 0
                for item in list {
                    running += popularity[Int(item)]
                    items.append(item)
                    sums.append(running)
                }
                start.append(Int32(items.count))
            }
            return (start, items, sums)
        }
        (bucketStart, bucketItems, bucketCumulative) = flatten(buckets)
        (self.categoryStart, categoryItems, self.categoryCumulative) = flatten(categories)
        var running: Float = 0
        globalCumulative = popularity.map {
            running += $0
            return running
        }

        // Stock follows the supplier, not the simulated sales: an item in stock sells out with
        // probability 3 % a day and comes back with 35 %. Keeping it independent of purchases keeps
        // shards independent, which is what makes the output the same for any number of threads.
        stockDays = settings.days + 2
        var isInStock = [Bool](repeating: false, count: count * stockDays)
        var finalQuantity = [Int32](repeating: 0, count: count)
        for item in 0..<count {
            var stockRandom = SimRandom(seed: settings.seed, Purpose.stock, UInt64(item))
            var inStock = stockRandom.chance(0.92)
            for day in 0..<stockDays {
                if day > 0 { inStock = inStock ? !stockRandom.chance(0.03) : stockRandom.chance(0.35) }
                isInStock[item * stockDays + day] = inStock
            }
            finalQuantity[item] = isInStock[item * stockDays + settings.days] ? Int32(1 + stockRandom.below(200)) : 0
        }
        self.category = category
        self.genreStart = genreStart
        self.genres = genres
        self.priceCents = priceCents
        self.popularity = popularity
        self.bundle = bundle
        self.bundleStart = bundleStart
        self.bundleMembers = bundleMembers
        self.isInStock = isInStock
        self.finalQuantity = finalQuantity
    }

    /// Whether `item` can be bought on simulated day `day` (`-1 ... days`).
    @inline(__always)
    func inStock(_ item: Int, day: Int) -> Bool {
        isInStock[item * stockDays + day + 1]
    }

    /// A popular item of category `c` and genre `g`, or of category `c` when no item has both.
    @inline(__always)
    func sample(category c: Int, genre g: Int, _ random: inout SimRandom) -> Int {
        let bucket = c * Vocabulary.genres.count + g
        let low = Int(bucketStart[bucket])
        let high = Int(bucketStart[bucket + 1])
        if low < high {
            return Int(
                bucketCumulative.withUnsafeBufferPointer {
                    bucketItems[low + sampleCumulative(UnsafeBufferPointer(rebasing: $0[low..<high]), &random)]
                }
            )
        }
        let cLow = Int(categoryStart[c])
        let cHigh = Int(categoryStart[c + 1])
        if cLow < cHigh {
            return Int(
                categoryCumulative.withUnsafeBufferPointer {
                    categoryItems[cLow + sampleCumulative(UnsafeBufferPointer(rebasing: $0[cLow..<cHigh]), &random)]
                }
            )
        }
        return samplePopular(&random)
    }

    /// An item by overall popularity.
    @inline(__always)
    func samplePopular(_ random: inout SimRandom) -> Int {
        globalCumulative.withUnsafeBufferPointer { sampleCumulative($0, &random) }
    }

    /// Another member of `item`'s bundle, or nil for a bundle of one.
    @inline(__always)
    func bundlePartner(of item: Int, _ random: inout SimRandom) -> Int? {
        let b = Int(bundle[item])
        let low = Int(bundleStart[b])
        let size = Int(bundleStart[b + 1]) - low
        guard size > 1 else { return nil }
        var partner = Int(bundleMembers[low + random.below(size - 1)])
        if partner == item { partner = Int(bundleMembers[low + size - 1]) }
        return partner
    }
}

/// What a random stream is for; part of each stream's derivation, so streams never overlap.
enum Purpose {
    static let catalog: UInt64 = 1
    static let stock: UInt64 = 2
    static let personas: UInt64 = 3
    static let user: UInt64 = 4
    static let day: UInt64 = 5
    static let observable: UInt64 = 6
    static let response: UInt64 = 7
    static let address: UInt64 = 8
}

func cumulative(_ weights: [Double]) -> [Double] {
    var running = 0.0
    return weights.map {
        running += $0
        return running
    }
}

/// Index of a draw from a cumulative table of doubles (small tables: a linear scan).
func pick(_ cumulative: [Double], _ random: inout SimRandom) -> Int {
    let target = random.uniform() * cumulative[cumulative.count - 1]
    for (index, value) in cumulative.enumerated() where target < value { return index }
    return cumulative.count - 1
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
