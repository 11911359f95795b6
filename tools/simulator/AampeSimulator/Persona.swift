/// A hidden kind of user. Personas shape the weekly routine, activity, tastes and responsiveness; each
/// user then adds individual noise, so two users of one persona are alike but not equal.
struct Persona: Sendable {
    var name: String
    /// Relative activity in the 5 daily windows (07–10, 10–13, 13–16, 16–19, 19–22 local time).
    var windowShape: [Double]
    /// Relative activity on Monday … Sunday.
    var weekdayShape: [Double]
    /// Mean probability of opening the app on a day, for a user who was there yesterday.
    var dailyActivity: Double
    /// Mean number of sessions on an active day.
    var sessionsPerActiveDay: Double
    /// Mean days for the return probability to fall by a factor e after a visit.
    var returnDays: Double
    /// Categories this persona favours (names from ``Vocabulary/categories``) and how strongly.
    var favouriteCategories: [String: Double]
    /// Genres this persona favours (names from ``Vocabulary/genres``).
    var favouriteGenres: [String: Double]
    /// Mean message responsiveness, in logits (the `base_u` of the response model).
    var responsiveness: Double

    /// The six archetypes. `--personas N` uses the first N.
    static let archetypes: [Persona] = [
        Persona(
            name: "commuter",
            windowShape: [6, 0.6, 0.5, 4, 0.8],
            weekdayShape: [1.2, 1.2, 1.2, 1.2, 1.1, 0.5, 0.4],
            dailyActivity: 0.55,
            sessionsPerActiveDay: 1.4,
            returnDays: 6,
            favouriteCategories: ["books": 3, "music": 2, "gadgets": 1.5],
            favouriteGenres: ["Thriller": 3, "Mystery": 2, "Documentary": 2],
            responsiveness: -2.6
        ),
        Persona(
            name: "lunch_browser",
            windowShape: [0.4, 1.5, 6, 1, 0.5],
            weekdayShape: [1.2, 1.2, 1.2, 1.2, 1.2, 0.5, 0.4],
            dailyActivity: 0.5,
            sessionsPerActiveDay: 1.2,
            returnDays: 5,
            favouriteCategories: ["apparel": 3, "posters": 1.5, "books": 1.5],
            favouriteGenres: ["Romance": 3, "Comedy": 2, "Drama": 2],
            responsiveness: -2.9
        ),
        Persona(
            name: "evening_gamer",
            windowShape: [0.3, 0.3, 0.6, 2, 7],
            weekdayShape: [1, 1, 1, 1, 1.2, 1.1, 1],
            dailyActivity: 0.6,
            sessionsPerActiveDay: 1.7,
            returnDays: 9,
            favouriteCategories: ["games": 4, "comics": 2, "gadgets": 2],
            favouriteGenres: ["Action": 3, "Sci-Fi": 3, "Fantasy": 2],
            responsiveness: -2.4
        ),
        Persona(
            name: "weekend_family",
            windowShape: [1.5, 4, 3, 1.5, 0.8],
            weekdayShape: [0.5, 0.5, 0.5, 0.5, 0.8, 2.4, 2.2],
            dailyActivity: 0.45,
            sessionsPerActiveDay: 1.5,
            returnDays: 8,
            favouriteCategories: ["toys": 4, "boardgames": 3, "films": 1.5],
            favouriteGenres: ["Kids": 4, "Adventure": 2, "Comedy": 2],
            responsiveness: -2.7
        ),
        Persona(
            name: "film_buff",
            windowShape: [0.3, 0.5, 1, 2.5, 5],
            weekdayShape: [0.8, 0.8, 0.9, 1, 1.4, 1.5, 1.2],
            dailyActivity: 0.5,
            sessionsPerActiveDay: 1.3,
            returnDays: 7,
            favouriteCategories: ["films": 4, "music": 2, "posters": 2],
            favouriteGenres: ["Horror": 2.5, "Drama": 2.5, "Sci-Fi": 2],
            responsiveness: -2.8
        ),
        Persona(
            name: "casual",
            windowShape: [1, 1.2, 1.2, 1.3, 1.4],
            weekdayShape: [1, 1, 1, 1, 1, 1, 1],
            dailyActivity: 0.22,
            sessionsPerActiveDay: 1.1,
            returnDays: 3,
            favouriteCategories: [:],
            favouriteGenres: [:],
            responsiveness: -3.4
        ),
    ]
}

/// The names that make up the simulated store's catalog and its message labels.
enum Vocabulary {
    static let categories = [
        "books", "films", "music", "games", "comics", "boardgames", "toys", "posters", "apparel", "gadgets",
    ]
    /// Median price of each category, in cents.
    static let medianPriceCents = [1_400, 1_500, 1_200, 4_500, 900, 3_500, 2_500, 1_600, 2_800, 6_000]
    /// Share of the catalog in each category.
    static let categoryShares = [0.16, 0.14, 0.10, 0.10, 0.08, 0.07, 0.09, 0.06, 0.10, 0.10]
    static let genres = [
        "Action", "Adventure", "Comedy", "Drama", "Fantasy", "Horror", "Mystery", "Romance", "Sci-Fi", "Thriller",
        "Documentary", "Kids",
    ]

    /// Label sets of message copy: each message picks one label from each set.
    static let labelSets: [(name: String, labels: [String])] = [
        ("value_proposition", ["discount", "quality", "speed"]),
        ("tone", ["playful", "plain"]),
    ]
    /// All labels, flattened in label-set order.
    static let labels: [String] = labelSets.flatMap(\.labels)

    /// The event names the simulated app sends. `message_clicked` (property `message_id`) comes only
    /// from messages the engine sent.
    enum Event: Int, CaseIterable, Sendable {
        case appOpened, productViewed, addToCart, checkout, purchase, messageClicked

        var name: String {
            switch self {
            case .appOpened: "app_opened"
            case .productViewed: "product_viewed"
            case .addToCart: "add_to_cart"
            case .checkout: "checkout"
            case .purchase: "purchase"
            case .messageClicked: "message_clicked"
            }
        }
    }

    /// What a campaign's message is for: the goals of `content/labels.yaml`.
    enum Goal: String, Sendable {
        /// A session that ends in a purchase.
        case purchase
        /// A session (`app_opened`).
        case visit
    }

    /// The goal of each campaign in `content/campaigns.yaml` (`SimulatedCampaignTests` checks they agree).
    static let campaignGoals: [String: Goal] = [
        "cart_abandonment": .purchase, "weekly_picks": .purchase, "winback": .visit,
    ]

    /// The channels of the simulated profiles.
    enum Channel: String, Sendable, CaseIterable {
        case email, sms, push

        /// The `Population.contact` bits of the address and of its consent.
        var contactBits: (address: UInt8, consent: UInt8) {
            switch self {
            case .email: (Population.contactEmail, Population.contactEmailConsent)
            case .sms: (Population.contactPhone, Population.contactSMSConsent)
            case .push: (Population.contactPush, Population.contactPushConsent)
            }
        }

        /// What the provider answers for a bad address.
        var badAddressReason: String {
            switch self {
            case .email: "hard bounce: mailbox does not exist"
            case .sms: "invalid phone number"
            case .push: "invalid device token"
            }
        }
    }
}
