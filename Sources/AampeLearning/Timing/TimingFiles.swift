import AampeCore
public import AampeSegments

/// Timing's files in a generation, in its folder `timing/`:
///
/// - ``users`` (kind `timing`): per user, the window propensity (RAW, read by assignment), the raw
///   window counts (ZSTD), the activity summary and estimates, the responsiveness posterior and the
///   cadence.
/// - ``manifest``: the settings, the window prior, the BG/NBD parameters, the responsiveness priors
///   and what training saw.
///
/// Column names are declared once, in ``UserColumn``.
public enum TimingFiles {
    /// The model's folder in a generation.
    public static let model = "timing"
    /// `timing/users.seg`; columns in ``UserColumn``.
    public static let users = GenerationFile(model: model, name: "users.seg")
    /// `timing/timing.json` (``Manifest``).
    public static let manifest = GenerationFile(model: model, name: "timing.json")

    /// The columns of ``users``, one row per user of the dictionary at training.
    public enum UserColumn: String, CaseIterable, Sendable {
        /// Dictionary: external user id → row.
        case userID = "user_id"
        /// f32 × windows, RAW: the shrunk share of sessions per window, summing to 1.
        case windowPropensity = "window_propensity"
        /// f32 × windows, ZSTD: the raw session counts per window.
        case windowCounts = "window_counts"
        /// u32: the group shrunk toward: the landscape cluster, or the cluster count for users the
        /// landscape does not know.
        case group
        /// f32: BG/NBD's x, repeat active days; NaN for a user never active.
        case frequency
        /// f32: BG/NBD's t_x in days; NaN for a user never active.
        case recencyDays = "recency_days"
        /// f32: BG/NBD's T in days; NaN for a user never active.
        case ageDays = "age_days"
        /// f32: P(alive); NaN for a user never active.
        case probabilityAlive = "probability_alive"
        /// f32: P(seen again within the horizon); NaN for a user never active.
        case probabilityActive = "probability_active"
        /// f32: the responsiveness posterior's α.
        case responsivenessAlpha = "responsiveness_alpha"
        /// f32: the responsiveness posterior's β.
        case responsivenessBeta = "responsiveness_beta"
        /// u8: messages per week.
        case cadencePerWeek = "cadence_per_week"
    }

    /// What `timing.json` holds.
    public struct Manifest: Codable, Sendable, Hashable {
        /// The settings trained with.
        public var settings: TimingSettings
        /// The end of every look-back, seconds since the epoch.
        public var referenceSeconds: Int64
        /// When training ran, ISO-8601 UTC.
        public var trainedAt: String
        /// Rows of ``users``.
        public var userCount: Int
        /// Windows per week.
        public var windowCount: Int
        /// The landscape's clusters at training (0 when there was no landscape).
        public var clusterCount: Int
        /// The generation whose landscape gave the clusters, or `nil`.
        public var landscapeGeneration: UInt64?
        /// The window prior.
        public var windowModel: WindowPropensityModel
        /// The activity model, or `nil` when no user had repeat activity.
        public var activityModel: BGNBDModel?
        /// The responsiveness priors.
        public var responsivenessModel: ResponsivenessModel
        /// The mean responsiveness over users.
        public var populationResponsiveness: Double
        /// What training saw.
        public var counts: Counts

        /// What training saw, for the report and `timing show`.
        public struct Counts: Codable, Sendable, Hashable {
            /// Users whose profile had no time zone (the default zone applied).
            public var usersWithoutTimeZone: Int
            /// Users whose profile named a zone the database does not know (the default applied).
            public var usersWithUnknownTimeZone: Int
            /// The most common unknown zone names.
            public var unknownTimeZones: [String]
            /// Users never active in the history.
            public var usersWithoutActivity: Int
            /// Whether the data had the session event (otherwise every event counted).
            public var hasSessionEvent: Bool
            /// Sessions counted into windows.
            public var sessionsInWindows: Int
            /// Sessions outside every window.
            public var sessionsOutsideWindows: Int
            /// Sends read from the message log.
            public var sendsRead: Int

            /// Counts.
            public init(
                usersWithoutTimeZone: Int,
                usersWithUnknownTimeZone: Int,
                unknownTimeZones: [String],
                usersWithoutActivity: Int,
                hasSessionEvent: Bool,
                sessionsInWindows: Int,
                sessionsOutsideWindows: Int,
                sendsRead: Int
            ) {
                self.usersWithoutTimeZone = usersWithoutTimeZone
                self.usersWithUnknownTimeZone = usersWithUnknownTimeZone
                self.unknownTimeZones = unknownTimeZones
                self.usersWithoutActivity = usersWithoutActivity
                self.hasSessionEvent = hasSessionEvent
                self.sessionsInWindows = sessionsInWindows
                self.sessionsOutsideWindows = sessionsOutsideWindows
                self.sendsRead = sendsRead
            }

            enum CodingKeys: String, CodingKey {
                case usersWithoutTimeZone = "users_without_time_zone"
                case usersWithUnknownTimeZone = "users_with_unknown_time_zone"
                case unknownTimeZones = "unknown_time_zones"
                case usersWithoutActivity = "users_without_activity"
                case hasSessionEvent = "has_session_event"
                case sessionsInWindows = "sessions_in_windows"
                case sessionsOutsideWindows = "sessions_outside_windows"
                case sendsRead = "sends_read"
            }
        }

        enum CodingKeys: String, CodingKey {
            case settings, counts
            case referenceSeconds = "reference_seconds"
            case trainedAt = "trained_at"
            case userCount = "user_count"
            case windowCount = "window_count"
            case clusterCount = "cluster_count"
            case landscapeGeneration = "landscape_generation"
            case windowModel = "window_model"
            case activityModel = "activity_model"
            case responsivenessModel = "responsiveness_model"
            case populationResponsiveness = "population_responsiveness"
        }
    }

    /// Writes both files into the generation `builder` is building.
    public static func write(
        _ trained: TrainedTiming,
        userIDs: [String],
        counts: Manifest.Counts,
        landscapeGeneration: UInt64?,
        into builder: GenerationBuilder,
        trainedAt: String
    ) throws {
        precondition(userIDs.count == trained.userCount, "one row per user")
        let windows = trained.windowCount
        let writer = try SegmentWriter(path: try builder.path(of: users), kind: .timing)
        try writer.writeDictionaryColumn(UserColumn.userID.rawValue, keys: userIDs)
        try writer.writeVectorColumn(
            UserColumn.windowPropensity.rawValue,
            dimension: windows,
            vectors: (0..<trained.userCount).lazy.map { trained.propensity[($0 * windows)..<(($0 + 1) * windows)] }
        )
        try writer.writeVectorColumn(
            UserColumn.windowCounts.rawValue,
            dimension: windows,
            codec: .zstd,
            vectors: (0..<trained.userCount).lazy.map { trained.windowCounts[($0 * windows)..<(($0 + 1) * windows)] }
        )
        try writer.writeColumn(UserColumn.group.rawValue, values: trained.groups)
        try writer.writeColumn(UserColumn.frequency.rawValue, values: trained.frequency)
        try writer.writeColumn(UserColumn.recencyDays.rawValue, values: trained.recencyDays)
        try writer.writeColumn(UserColumn.ageDays.rawValue, values: trained.ageDays)
        try writer.writeColumn(UserColumn.probabilityAlive.rawValue, values: trained.probabilityAlive)
        try writer.writeColumn(UserColumn.probabilityActive.rawValue, values: trained.probabilityActive)
        try writer.writeColumn(UserColumn.responsivenessAlpha.rawValue, values: trained.responsivenessAlpha)
        try writer.writeColumn(UserColumn.responsivenessBeta.rawValue, values: trained.responsivenessBeta)
        try writer.writeColumn(UserColumn.cadencePerWeek.rawValue, values: trained.cadencePerWeek)
        try writer.finish()
        let manifest = Manifest(
            settings: trained.settings,
            referenceSeconds: trained.referenceSeconds,
            trainedAt: trainedAt,
            userCount: trained.userCount,
            windowCount: windows,
            clusterCount: trained.clusterCount,
            landscapeGeneration: landscapeGeneration,
            windowModel: trained.windowModel,
            activityModel: trained.activityModel,
            responsivenessModel: trained.responsivenessModel,
            populationResponsiveness: trained.populationResponsiveness,
            counts: counts
        )
        try GenerationJSON.write(manifest, as: Self.manifest, into: builder)
    }
}

/// A generation's timing, mapped. Immutable and holding ``generation``, so it may be shared across
/// threads.
public final class ServedTiming: ModelView {
    /// The model name a generation lists these files under.
    public static let model = TimingFiles.model

    /// The generation mapped.
    public let generation: Generation
    /// The generation's `timing.json`.
    public let manifest: TimingFiles.Manifest
    /// External user id → row.
    public let userIDs: DictionaryColumn
    /// The shrunk window shares, RAW.
    public let windowPropensity: VectorColumn
    /// The raw window counts (ZSTD).
    public let windowCounts: VectorColumn
    /// The per-user `f32` columns, by name, each checked to have one row per user.
    let floats: [TimingFiles.UserColumn: ScalarColumn<Float>]
    /// The `group` column.
    let groups: ScalarColumn<UInt32>
    /// The `cadence_per_week` column.
    let cadence: ScalarColumn<UInt8>

    /// Maps and checks the timing files of `generation`. Errors name the file and the column.
    public init(generation: Generation) throws {
        let reader = try generation.segment(TimingFiles.users)
        let manifest = try GenerationJSON.read(TimingFiles.Manifest.self, TimingFiles.manifest, of: generation)
        let userIDs = try reader.dictionaryColumn(TimingFiles.UserColumn.userID.rawValue)
        let propensity = try reader.vectorColumn(TimingFiles.UserColumn.windowPropensity.rawValue)
        let counts = try reader.vectorColumn(TimingFiles.UserColumn.windowCounts.rawValue)
        guard userIDs.count == manifest.userCount, propensity.count == userIDs.count, counts.count == userIDs.count,
            propensity.dimension == manifest.windowCount, counts.dimension == manifest.windowCount
        else {
            throw SegmentError(
                path: reader.path,
                column: TimingFiles.UserColumn.windowPropensity.rawValue,
                reason: .generation(
                    detail:
                        "the columns disagree with the manifest's \(manifest.userCount) users × \(manifest.windowCount) windows"
                )
            )
        }
        let layoutWindows = try? manifest.settings.layout().windowsPerWeek
        guard layoutWindows == manifest.windowCount else {
            throw SegmentError(
                path: reader.path,
                reason: .generation(
                    detail: "the manifest's \(manifest.windowCount) windows do not match its window layout"
                )
            )
        }
        var floats: [TimingFiles.UserColumn: ScalarColumn<Float>] = [:]
        for column: TimingFiles.UserColumn in [
            .frequency, .recencyDays, .ageDays, .probabilityAlive, .probabilityActive, .responsivenessAlpha,
            .responsivenessBeta,
        ] {
            floats[column] = try reader.scalarColumn(column.rawValue, as: Float.self)
        }
        let groups = try reader.scalarColumn(TimingFiles.UserColumn.group.rawValue, as: UInt32.self)
        let cadence = try reader.scalarColumn(TimingFiles.UserColumn.cadencePerWeek.rawValue, as: UInt8.self)
        let rowCounts = [groups.count, cadence.count] + floats.values.map(\.count)
        if let mismatched = rowCounts.first(where: { $0 != userIDs.count }) {
            throw SegmentError(
                path: reader.path,
                reason: .generation(detail: "a per-user column has \(mismatched) rows for \(userIDs.count) users")
            )
        }
        guard propensity.rawElements != nil else {
            throw SegmentError(
                path: reader.path,
                column: TimingFiles.UserColumn.windowPropensity.rawValue,
                reason: .generation(detail: "timing needs a RAW window_propensity column")
            )
        }
        self.generation = generation
        self.manifest = manifest
        self.userIDs = userIDs
        self.windowPropensity = propensity
        self.windowCounts = counts
        self.floats = floats
        self.groups = groups
        self.cadence = cadence
    }

    /// The number of the generation mapped.
    public var generationNumber: UInt64 { generation.number.rawValue }

    /// One user's timing, read out.
    public struct UserTiming: Sendable, Hashable {
        /// The shrunk window shares.
        public var propensity: [Float]
        /// The raw window counts.
        public var counts: [Float]
        /// The group shrunk toward.
        public var group: Int
        /// BG/NBD's x, t_x and T in days; NaN for a user never active.
        public var frequency: Float
        /// See ``frequency``.
        public var recencyDays: Float
        /// See ``frequency``.
        public var ageDays: Float
        /// P(alive); NaN for a user never active.
        public var probabilityAlive: Float
        /// P(seen again within the horizon); NaN for a user never active.
        public var probabilityActive: Float
        /// The responsiveness posterior.
        public var responsivenessAlpha: Float
        /// See ``responsivenessAlpha``.
        public var responsivenessBeta: Float
        /// Messages per week.
        public var cadencePerWeek: Int
    }

    /// The timing of the user with external id `userID`, or `nil` for a user new since training.
    public func user(_ userID: String) throws -> UserTiming? {
        guard let row = userIDs.row(for: userID) else { return nil }
        return try user(atRow: row)
    }

    /// The cadence (messages per week) of the user in row `row` of ``userIDs``, without reading the rest.
    public func cadencePerWeek(atRow row: Int) throws -> Int { Int(try cadence.value(at: row)) }

    /// The timing of the user in row `row` of ``userIDs``.
    public func user(atRow row: Int) throws -> UserTiming {
        func float(_ column: TimingFiles.UserColumn) throws -> Float { try floats[column]!.value(at: row) }
        return UserTiming(
            propensity: try windowPropensity.vector(at: row),
            counts: try windowCounts.vector(at: row),
            group: Int(try groups.value(at: row)),
            frequency: try float(.frequency),
            recencyDays: try float(.recencyDays),
            ageDays: try float(.ageDays),
            probabilityAlive: try float(.probabilityAlive),
            probabilityActive: try float(.probabilityActive),
            responsivenessAlpha: try float(.responsivenessAlpha),
            responsivenessBeta: try float(.responsivenessBeta),
            cadencePerWeek: Int(try cadence.value(at: row))
        )
    }
}
