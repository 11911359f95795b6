import Foundation

/// The hidden truth of a world, in `truth/`, for scoring the engine. aamped never reads it.
///
/// ```
/// truth/README.md    the probability model, as documented functions of the columns below
/// truth/world.json   settings, personas, population and persona copy effects, model constants
/// truth/users.csv    per user: persona, activity, return, responsiveness, fatigue, best windows,
///                    category and genre affinities, copy preferences, the 35-window routine
/// truth/items.csv    per item: category, genres, price, popularity weight, co-purchase bundle
/// truth/stock.csv    per item: in-stock state on the first day and every change after
/// truth/sends.csv    per delivered message (stepped worlds only): probabilities and outcomes
/// ```
enum Truth {
    static func write(world: World, folder: String, threads: Int) throws {
        try createFolder(folder)
        try writeFile(folder + "/README.md", Array(readme.utf8))
        try writeWorld(world: world, path: folder + "/world.json")
        try writeUsers(world: world, path: folder + "/users.csv", threads: threads)
        try writeItems(world: world, path: folder + "/items.csv")
        try writeStock(world: world, path: folder + "/stock.csv")
    }

    static func usersHeader() -> String {
        var columns = [
            "user_id", "persona", "activity", "sessions_per_active_day", "return_days", "responsiveness",
            "fatigue_per_send",
            "fatigue_same_copy", "recovery_days", "best_windows", "top_category", "top_genre",
        ]
        columns += Vocabulary.categories.map { "category_" + $0 }
        columns += Vocabulary.genres.map { "genre_" + $0 }
        columns += Vocabulary.labels.map { "pref_" + $0 }
        columns += (0..<Population.windowsPerWeek).map { $0 < 10 ? "window_0\($0)" : "window_\($0)" }
        return columns.joined(separator: ",") + "\n"
    }

    /// Number of windows listed in `best_windows`.
    static let bestWindowCount = 5

    private static func writeUsers(world: World, path: String, threads: Int) throws {
        let population = world.population
        let encoder = world.encoder
        let personaNames = population.personas.map { Array($0.name.utf8) }
        try writeTable(path: path, header: usersHeader(), rows: population.count, threads: threads) { user, out in
            out.append(Array(encoder.userID(user).utf8))
            out.append(UInt8(ascii: ","))
            out.append(personaNames[Int(population.persona[user])])
            for value in [
                population.activity[user], population.sessionsPerActiveDay[user], population.returnDays[user],
                population.responsiveness[user], population.fatiguePerSend[user], population.fatigueSameCopy[user],
                population.recoveryDays[user],
            ] {
                out.append(UInt8(ascii: ","))
                out.appendFixed3(Double(value))
            }
            out.append(UInt8(ascii: ","))
            for (rank, window) in population.windowsByPropensity(user: user).prefix(bestWindowCount).enumerated() {
                if rank > 0 { out.append(UInt8(ascii: "|")) }
                out.appendDecimal(window)
            }
            let categories = (0..<Population.categoryCount).map {
                population.categoryAffinity(user: user, category: $0)
            }
            let genres = (0..<Population.genreCount).map { population.genreAffinity(user: user, genre: $0) }
            out.append(UInt8(ascii: ","))
            out.append(Array(Vocabulary.categories[categories.indices.max { categories[$0] < categories[$1] }!].utf8))
            out.append(UInt8(ascii: ","))
            out.append(Array(Vocabulary.genres[genres.indices.max { genres[$0] < genres[$1] }!].utf8))
            for value in categories + genres {
                out.append(UInt8(ascii: ","))
                out.appendFixed3(Double(value))
            }
            for label in 0..<Population.labelCount {
                out.append(UInt8(ascii: ","))
                out.appendFixed3(Double(population.copyPreference[user * Population.labelCount + label]))
            }
            for window in 0..<Population.windowsPerWeek {
                out.append(UInt8(ascii: ","))
                // Shares are small; four digits after the point would be lost at three, so scale by 35
                // (the availability used by the response model, mean 1).
                out.appendFixed3(35 * Double(population.routine[user * Population.windowsPerWeek + window]))
            }
            out.append(UInt8(ascii: "\n"))
        }
    }

    private static func writeItems(world: World, path: String) throws {
        let catalog = world.catalog
        let total = catalog.popularity.reduce(0, +)
        try writeTable(
            path: path,
            header: "item_id,category,genres,price,popularity,bundle\n",
            rows: catalog.count,
            threads: 1
        ) { item, out in
            let genres = catalog.genres[Int(catalog.genreStart[item])..<Int(catalog.genreStart[item + 1])]
                .map { Vocabulary.genres[Int($0)] }.joined(separator: "|")
            let row =
                "\(world.encoder.itemID(item)),\(Vocabulary.categories[Int(catalog.category[item])]),\(genres),"
                + "\(centsText(Int(catalog.priceCents[item]))),"
            out.append(Array(row.utf8))
            // Share of all popularity weight, in parts per million.
            out.appendDecimal(Int((Double(catalog.popularity[item]) / Double(total) * 1_000_000).rounded()))
            out.append(UInt8(ascii: ","))
            out.appendDecimal(Int(catalog.bundle[item]))
            out.append(UInt8(ascii: "\n"))
        }
    }

    private static func writeStock(world: World, path: String) throws {
        let catalog = world.catalog
        let days = world.settings.days
        try writeTable(path: path, header: "item_id,date,in_stock\n", rows: catalog.count, threads: 1) { item, out in
            var previous: Bool? = nil
            for day in 0..<days {
                let inStock = catalog.inStock(item, day: day)
                guard inStock != previous else { continue }
                previous = inStock
                out.append(
                    Array(
                        "\(world.encoder.itemID(item)),\(CivilDate.text(epochDay: world.startEpochDay + day)),\(inStock)\n"
                            .utf8
                    )
                )
            }
        }
    }

    private static func writeWorld(world: World, path: String) throws {
        let population = world.population
        var personas: [[String: Any]] = []
        for (index, persona) in population.personas.enumerated() {
            var effects: [String: Double] = [:]
            for (label, name) in Vocabulary.labels.enumerated() {
                effects[name] = rounded(population.personaCopyEffect[index * Population.labelCount + label])
            }
            personas.append([
                "name": persona.name, "window_shape": persona.windowShape, "weekday_shape": persona.weekdayShape,
                "daily_activity": persona.dailyActivity, "sessions_per_active_day": persona.sessionsPerActiveDay,
                "return_days": persona.returnDays, "favourite_categories": persona.favouriteCategories,
                "favourite_genres": persona.favouriteGenres, "responsiveness": persona.responsiveness,
                "copy_effects": effects,
            ])
        }
        var populationEffects: [String: Double] = [:]
        for (label, name) in Vocabulary.labels.enumerated() {
            populationEffects[name] = rounded(population.populationCopyEffect[label])
        }
        let settings = try JSONSerialization.jsonObject(with: JSONEncoder().encode(world.settings))
        let calibration = world.settings.signal.calibration
        let document: [String: Any] = [
            "settings": settings,
            "personas": personas,
            "population_copy_effects": populationEffects,
            "label_sets": Vocabulary.labelSets.map { ["name": $0.name, "labels": $0.labels] },
            "categories": Vocabulary.categories,
            "genres": Vocabulary.genres,
            "windows": (0..<Population.windowsPerWeek).map { world.windowLayout.label($0) },
            "session_model": [
                "mean_extra_views": DaySimulator.Session.meanExtraViews,
                "cart_probability": DaySimulator.Session.cartProbability,
                "bundle_cart_probability": DaySimulator.Session.bundleCartProbability,
                "bundle_follow_probability": DaySimulator.Session.bundleFollowProbability,
                "explore_probability": DaySimulator.Session.exploreProbability,
                "checkout_probability": DaySimulator.Session.checkoutProbability,
                "purchase_probability": DaySimulator.Session.purchaseProbability,
                "return_floor": DaySimulator.Session.returnFloor,
                "maximum_window_probability": DaySimulator.Session.maximumWindowProbability,
            ],
            "response_model": [
                "formula":
                    "P(goal | c, w, t) = sigmoid(responsiveness + responsiveness_shift + sum of pref_<label> over c + window_effect_exponent * log(max(0.05, window_w)) - fatigue(t, c))",
                "fatigue":
                    "sum over earlier sends s of exp(-(t - t_s) / (recovery_days * 86400)) * (fatigue_per_send + fatigue_same_copy * [c_s == c])",
                "signal": world.settings.signal.rawValue,
                "responsiveness_shift": calibration.responsivenessShiftLogits,
                "window_effect_exponent": calibration.windowEffectExponent,
                "click_lift": calibration.clickLiftLogits,
                "minimum_availability": ResponseModel.minimumAvailability,
                "attribution_window_seconds": Int(MessageResponder.attributionWindowSeconds),
                "opt_out": "min(1, opt_out_base + opt_out_slope * fatigue(t, c)) per delivered message",
                "opt_out_base": world.settings.optOutBase, "opt_out_slope": world.settings.optOutSlope,
                "cannibalization": world.settings.cannibalization,
                "failure_rate": world.settings.failureRate,
            ],
        ]
        let data = try JSONSerialization.data(
            withJSONObject: document,
            options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        )
        try writeFile(path, Array(data) + [UInt8(ascii: "\n")])
    }

    private static func rounded(_ value: Double) -> Double { (value * 1000).rounded() / 1000 }

    static let readme = """
        # The hidden truth of this world

        aamped never reads this folder. It is here to score what the engine learns.

        ## Files

        - `world.json`: the settings, the personas (window and weekday shapes, activity, tastes,
          responsiveness, copy effects), the population copy effects, the label sets, the windows and
          the constants below.
        - `users.csv`: one row per user. `persona`; `activity` (chance to open the app on a day after a
          visit yesterday, before the weekday weight); `sessions_per_active_day`; `return_days`;
          `responsiveness`, `fatigue_per_send`, `fatigue_same_copy`, `recovery_days` (response model);
          `best_windows` (the 5 most active of the 35 windows, best first, `|`-separated);
          `top_category`, `top_genre`; `category_*` and `genre_*` (affinities, each group sums to 1);
          `pref_<label>` (copy preference in logits); `window_00` … `window_34` (routine, 35 × the share
          of activity in each window: mean 1).
        - `items.csv`: `category`, `genres`, `price`, `popularity` (parts per million of all
          popularity weight) and `bundle` (co-purchase group).
        - `stock.csv`: each item's in-stock state on the first day and on every day it changed.

        Windows are 5 three-hour windows from 07:00 to 22:00 local time on each weekday, Monday first:
        window index = weekday × 5 + slot (Monday 07–10 is 0, Sunday 19–22 is 34).

        ## Activity

        On local day L a user with d days since the last visit opens the app with probability

            min(0.97, activity × day_weight(weekday) × (0.15 + 0.85 × exp(−(d − 1) / return_days)))

        where `day_weight` is 7 × the routine's share of that weekday (mean 1). On an active day each of
        the day's 5 windows gets a session with probability
        `min(0.9, sessions_per_active_day × window share within the day)`, and at least one session happens.

        ## Sessions

        A session opens the app (`app_opened`), then views 1 + Geometric(mean 2.5) items
        (`product_viewed`). An item is drawn by overall popularity with probability 0.1; otherwise a
        category from `category_*`, a genre from `genre_*`, and an item of that category and genre by
        popularity. A viewed item in stock goes to the cart (`add_to_cart`) with probability 0.12; after
        an add, with probability 0.5 the next view is another item of the same co-purchase bundle, which
        goes to the cart with probability 0.45. With a cart, the user checks out (`checkout`, value = cart
        total) with probability 0.55 and buys each item (`purchase`, revenue = price) with probability 0.9.
        These goals happen with no message at all.

        ## Response to a message (`aampe-sim step`)

            P(goal | message with choice c at window w, time t)
                = σ(responsiveness + shift + pref(c) + β × log availability(w) − fatigue(t, c))

        - `shift` and `β` are `responsiveness_shift` and `window_effect_exponent` in `world.json`
          (`response_model`); the `high` signal has 0 and 1, the `realistic` one −2.6 and 0.5.
        - `pref(c)` sums `pref_<label>` over the labels c picks, one per label set (a message without a
          label of some set gets the user's mean over that set). Each preference is a population effect
          + a persona effect + an individual effect, with variances in the shares of the
          `copy_variance_shares` setting.
        - `availability(w) = max(0.05, window_w)`: an average window adds 0; at night (outside 07:00–22:00
          local time) availability is 0.05.
        - `fatigue(t, c) = Σ over earlier sends s of exp(−(t − t_s) / (recovery_days × 86400)) ×
          (fatigue_per_send + fatigue_same_copy × [s used choice c])`.
        - A click (`message_clicked`, property `message_id`) comes with probability σ(logit + click_lift),
          after a log-normal delay (median 10 minutes); every goal follows a click, within 24 hours. A
          purchase goal is a session that views the message's items and buys one; a visit goal is a
          session (`app_opened` and a few views).
        - Opt-out: each delivered message makes the user withdraw consent for its channel with probability
          `min(1, opt_out_base + opt_out_slope × fatigue(t, c))`; the next `users.csv` says so, and the
          simulated messaging service fails every later message to that channel ("unsubscribed").
        - Cannibalization: with probability `cannibalization`, a message-driven goal replaces an organic
          goal the user would have reached anyway: the user's next organic session (visit goal), or the
          checkout and purchases of the next organic session that buys (purchase goal), is removed.
        - Bad addresses: each (user, channel) address is bad with probability `failure_rate`; every
          message to it fails ("invalid device token", "hard bounce", "invalid phone number").

        Message-driven sessions do not move the user's last visit, so the organic events of a world with
        messages are those of the same world without them, minus the removed goals.

        ## sends.csv

        One row per delivered message: `message_id`, `attempt`, `user_id`, `campaign`, `goal`,
        `channel`, `delivered_at`, `window` (the user's local weekly window, or `night`), `labels`;
        `p_goal_without` (an estimate of P(organic goal within 24 hours) from the activity and session
        rates above, at the user's current last visit), `p_message_goal` (σ(logit), the raw effect),
        `p_incremental` = p_message_goal × (1 − cannibalization) (the goals the message adds, net),
        `p_goal_with` = min(1, p_goal_without + p_incremental); `fatigue`, `p_opt_out`, `opted_out`;
        and what happened: `clicked`, `message_goal`, `cannibalized`.

        ## Calibration

        `aampe-sim calibration --world DIR` computes, from this folder, the conversion rate of a
        rested user under random choice, the best single (copy, window) and each user's own best. The
        `realistic` signal (the default) puts a random message at about 0.5 % goal and 3 % click per
        delivery, the best single choice near 1 % and the per-user best near 2 %: the range of these
        published figures (the `high` signal, at 6.8 %, 17.5 % and 45 %, is far above any of them):

        - Mailchimp, "Email Marketing Statistics and Benchmarks by Industry" (data of October 2019),
          https://mailchimp.com/resources/email-marketing-benchmarks/ : all industries open 22.71 %,
          click 2.91 %, unsubscribe 0.25 %, hard bounce 0.40 %; e-commerce open 15.68 %, click 2.01 %,
          unsubscribe 0.27 %. (The default `opt_out_base` 0.2 % and `failure_rate` 0.5 % follow these.)
        - Klaviyo, "The 2024 Benchmark Report" (2023 data), https://resources.klaviyo.com/2024-benchmark-report/p/4 :
          automated email flows, median placed-order rate per recipient 1.71 %, top 10 % 5.71 %; click
          rate 5.31 %, top 10 % 12.98 %. Campaigns earn about 30 times less revenue per recipient than
          abandoned-cart flows ($0.11 against $3.65, https://resources.klaviyo.com/2024-benchmark-report/p/2).
        - Appboy (now Braze), "Digits Vol. 1: Fall 2016 Mobile Marketing Benchmarks", Todd Grennan, 2016,
          https://www.braze.com/resources/articles/digits-vol-1-mobile-marketing-benchmarks : push direct
          open rate 6.1 % on Android, 2.0 % on iOS.
        - Leanplum, "What Happens When You Analyze 1.5 Billion Push Notifications?", Brittany Fleit,
          2016 (reposted at http://whallalabs.com/what-happens-when-you-analyze-1-5-billion-push-notifications/):
          push open rate 3.48 % on Android, 1.77 % on iOS; personalized pushes open four times as often.

        So a click (a push direct open or an email click) comes for 2 to 6 % of messages, and an order
        for well under 1 % of campaign messages and 2 to 6 % of the best-targeted ones.

        """
}
