/// Every limit aamped enforces, in one place.
///
/// A limit is checked with a thrown error at the trust boundary where outside data arrives (a file, a
/// frame, a row), and each one is tested at its value and one past it. Anything that needs a new bound
/// adds it here, with a comment that says what it protects and why the default is what it is.
public enum Limits {
    // MARK: Compression

    /// The most bytes one zstd decompression may produce.
    ///
    /// A frame header can claim any content size, and a crafted frame can expand a thousandfold, so
    /// nothing is decompressed without a ceiling. 256 MiB is far above any block the engine writes (a
    /// segment block is a few hundred KiB) and far below the machine's memory.
    public static let maximumDecompressedBytes = 256 * 1024 * 1024

    // MARK: Run history

    /// The longest error text kept in a run's history row, in UTF-8 bytes. Longer text is cut at a
    /// character boundary and marked with a trailing ellipsis.
    public static let maximumRunErrorTextBytes = 4 * 1024

    /// The most named counters one run may record (rows read, accepted, rejected by reason, ...).
    public static let maximumRunCounters = 64

    /// The longest counter name, in UTF-8 bytes.
    public static let maximumRunCounterNameBytes = 64

    // MARK: Data directory

    /// The longest data directory path, in UTF-8 bytes.
    ///
    /// The daemon's Unix socket lives inside the data directory, and `sockaddr_un.sun_path` holds 108
    /// bytes on Linux including the terminating NUL. `/aamped.sock` takes 12 of them.
    public static let maximumDataDirectoryPathBytes = 108 - 1 - "/aamped.sock".utf8.count
}

extension Limits {
    // MARK: Segment files

    /// The most columns in one segment file. A generation's widest file (the model) has a few dozen.
    public static let maximumSegmentColumns = 1024

    /// The longest column name, in UTF-8 bytes: what the directory entry's 63-byte name field holds.
    public static let maximumColumnNameBytes = 63

    /// The most rows in one column. Row numbers are dense indices, which are `UInt32`.
    public static let maximumColumnRows = Int(UInt32.max)

    /// The most `f32` elements in one vector row (an embedding, a landscape vector).
    public static let maximumVectorDimension = 4096

    /// The most rows in one ZSTD block.
    public static let maximumRowsPerBlock = 1 << 20

    /// The most bytes one ZSTD block may decompress to. This bounds what a single random access costs,
    /// and what a corrupt block-size field can make a reader allocate.
    public static let maximumBlockBytes = 64 * 1024 * 1024

    /// The longest key in a dictionary column (external user or item ids), in UTF-8 bytes.
    public static let maximumDictionaryKeyBytes = 1024

    /// The largest segment file, in bytes (1 TiB). Offsets are `u64`; this keeps them far from overflow.
    public static let maximumSegmentFileBytes: UInt64 = 1 << 40

    /// The largest generation manifest (`generations/N/manifest.json`), in bytes (1 MiB). A manifest
    /// lists a handful of files per model, a few kilobytes; the bound keeps a corrupt or hostile file
    /// from being read whole into memory at every reload.
    public static let maximumGenerationManifestBytes = 1 << 20
}

extension Limits {
    // MARK: Imports

    /// The longest input record (a CSV record, including quoted newlines, or a JSON line), in bytes.
    ///
    /// Real event rows are well under a kilobyte; a megabyte leaves room for fat `properties` objects
    /// while keeping a runaway line (a file that is not line-oriented at all) from being buffered whole.
    /// A longer record is rejected as `line_too_long` and the import carries on at the next line.
    public static let maximumImportRecordBytes = 1 << 20

    /// The most fields in one CSV record or members in one JSON object, nested ones included.
    public static let maximumImportFields = 4_096

    /// The deepest nesting of JSON arrays and objects in one record.
    public static let maximumJSONDepth = 64

    /// The longest event name, in UTF-8 bytes. Names are identifiers such as `add_to_cart`; anything
    /// longer is a mapping mistake (a whole payload in the name column), rejected as
    /// `event_name_too_long`.
    public static let maximumEventNameBytes = 128

    /// The longest external user or item id, in UTF-8 bytes: what a dictionary column holds.
    public static let maximumExternalIDBytes = maximumDictionaryKeyBytes

    /// The most distinct event names a data directory keeps. Event types index small per-user arrays
    /// in the landscape, so thousands of names would mean a mapping mistake, not a real app.
    public static let maximumEventTypes = 1_024

    /// The default oldest event timestamp an import accepts: 2000-01-01T00:00:00Z, in microseconds since
    /// the epoch. In app data an earlier value is nearly always a unit mistake (seconds read as
    /// milliseconds) or a zero default, so it is rejected as `timestamp_too_old`. Historic data sets (the
    /// MovieLens ratings are from 1997-98) are accepted with `aampectl import events --oldest-accepted`.
    /// TRACK always uses this value: real-time events are recent.
    public static let earliestEventTimestampMicros: Int64 = 946_684_800 * 1_000_000

    /// The earliest `--oldest-accepted` may be set to: 1970-01-01T00:00:00Z. Stored times are taken as
    /// non-negative seconds since the epoch (history entries keep them as `UInt32`), so nothing earlier
    /// can be stored.
    public static let earliestSettableEventTimestampMicros: Int64 = 0

    /// The rows of one day that an import holds in memory before it writes them out as a segment part.
    /// Bounds an import's memory for event rows to about this many rows (tens of MB) per day it is writing.
    public static let importRowsPerSegmentPart = 1 << 18
}

extension Limits {
    // MARK: Recommendations and real-time events

    /// The most items one RECOMMEND or SIMILAR_ITEMS may ask for. An in-app collector shows tens; a
    /// thousand covers a full category page, and bounds the work and the response of one request.
    public static let maximumRecommendationCount = 1_000

    /// The most entries in one request's lists, counted together: filter categories, attribute conditions
    /// (1 for each name) and their values, exclude_items, context_items. Counted together so that spreading
    /// ids over several lists cannot multiply one request's work; each id is also at most
    /// `maximumExternalIDBytes` long.
    public static let maximumRequestListEntries = 1_000

    /// The most labels one SCORE may name. A goal's model has at most `maximumModelLabels` labels, so a
    /// client never needs more; each is also at most `maximumExternalIDBytes` long. Repeats are allowed
    /// (and answered once each), so the bound, not the vocabulary, caps one answer's size.
    public static let maximumScoreLabels = maximumModelLabels

    /// The most events in one TRACK request. Collectors batch a handful; a thousand keeps one request's
    /// log write small.
    public static let maximumTrackEventsPerRequest = 1_000

    /// How far ahead of the server's clock a TRACK event's `timestamp_micros` may be: a day. A phone's
    /// clock can be hours off (time zones mistaken for UTC), but an event days ahead is a unit mistake
    /// (milliseconds read as microseconds) and would outrank every real event as "latest".
    public static let maximumTrackTimestampAheadMicros: Int64 = 86_400 * 1_000_000

    /// The most properties on one TRACK event, and the longest property key or value, in UTF-8 bytes.
    public static let maximumTrackProperties = 64
    public static let maximumTrackPropertyBytes = 1_024

    /// The most idempotency keys the daemon remembers; the oldest are forgotten first. A million keys of
    /// ~40 bytes is ~100 MB at most, and covers days of TRACK traffic at the rates one daemon serves.
    public static let maximumRememberedTrackKeys = 1_000_000

    /// Real-time items kept per user, newest first, and recommendations remembered for cool-downs.
    public static let maximumRealtimeItemsPerUser = 50
    public static let maximumRememberedRecommendationsPerUser = 200

    /// The most filter bitmaps one recommender engine (one generation) keeps. A bitmap turns a filter into
    /// one bit test per candidate; an app asks for a handful of filters (in stock, a category page, a
    /// price band), so 64 covers them, while a client sending arbitrary filters costs at most 64 ×
    /// (items / 8 + 16 KiB) of memory: 1.2 MiB at 20,000 items.
    public static let maximumCachedItemFilters = 64

    /// The most items of the popular and trending orders a cached filter lists in advance for backfill.
    /// Backfill needs `count` items (at most `maximumRecommendationCount`) past the request's exclusions
    /// (a few hundred at most: history, real-time items, exclude_items, cool-downs), so 2,048 almost
    /// always suffice; when they do not, the walk goes on through the whole order. 16 KiB per filter.
    public static let filterBackfillPrefixItems = 2_048

    /// The default for the most users the daemon keeps real-time state for (set with `limits:
    /// maximumRealtimeUsers` in the daemon's config file). A new user beyond it evicts the least recently
    /// touched user of its shard (see `RealtimeState`); an evicted user's events stay in the real-time log
    /// and reach the model at the next import and training. A user's state is typically a few hundred
    /// bytes and at most about 6 KB (50 items, 200 remembered recommendations), so a million users take
    /// well under 1 GB and at worst about 6 GB.
    public static let maximumRealtimeUsers = 1_000_000

    /// The longest served list a generation may keep per user (`--served-list`). A list answers a request
    /// only while enough of its items pass the request's filter, so it is worth a few times the count an
    /// app asks for (tens), not the catalog: 256 entries is 3 KiB per user, 3 GiB per million users.
    public static let maximumServedListLength = 256
}

extension Limits {
    // MARK: Recommender training

    /// The most neighbours training keeps per item (`--neighbours`; 0 keeps all). Each costs 8 bytes per
    /// item in `items.seg` and one multiply-add per history item when a request is scored, so past this the
    /// cost grows with no gain in the benchmark's recall (which is flat from about 50 up).
    public static let maximumRecommenderNeighbours = 10_000

    /// The most recent items training keeps per user for serving (`--history-length`; 0 keeps all): the
    /// history a request is scored from and what it excludes. 100,000 is beyond any one user's real
    /// history; it bounds what a bot's account can make a request cost.
    public static let maximumRecommenderHistoryLength = 100_000

    /// The longest trending window (`--trending-days`), in days: trending compares it with the three
    /// times as many days before, so a year already reaches four years back.
    public static let maximumTrendingDays = 365

    /// The longest cool-down before a user's item may be recommended again (`--repeat-after-days`), in
    /// days: ten years, past which "never" (0) says the same.
    public static let maximumRepeatAfterDays = 3_650
}

extension Limits {
    // MARK: Protocol sessions

    /// The longest client name a HELLO may give, in characters; a longer one is cut to this. The name is
    /// only shown in logs, so it is kept short enough for a log line.
    public static let maximumClientNameCharacters = 128
}

extension Limits {
    // MARK: Evaluation

    /// The largest ratings file (`u.data` layout) that `aampectl eval recommender` reads, in bytes (1 GiB).
    ///
    /// The reader holds the whole file in memory, and each row becomes a 24-byte `Interaction`. The largest
    /// MovieLens ratings file (32M rows) is under 900 MB; 1 GiB also keeps the row count, and so the dense
    /// indices, far below `UInt32.max`.
    public static let maximumRatingsFileBytes = 1 << 30
}

extension Limits {
    // MARK: Content

    /// The most variants one formula may expand to (the product of its blocks' alternate counts).
    ///
    /// Conditioned assignment spreads sends evenly over a formula's variants, and the model learns per
    /// label, not per variant; past a few thousand variants a campaign can never send each one often enough
    /// to tell them apart, and `content apply` stores a row per variant. 4,096 leaves room above the
    /// 5 × 8 × 6 × 4 = 960 of a rich formula.
    public static let maximumVariantsPerFormula = 4_096

    /// The most alternates in one block. Each needs enough sends to be learned; 64 is far past useful.
    public static let maximumAlternatesPerBlock = 64

    /// The longest template text (a formula field or an alternate), in UTF-8 bytes. An email's HTML body
    /// is the largest real template, typically tens of KiB; 256 KiB bounds what one render may build.
    public static let maximumTemplateBytes = 256 * 1024

    /// The largest YAML file a content folder may hold, in bytes, and the most YAML files in it. A rich
    /// content folder is a few hundred KiB in tens of files; the bounds keep a mistaken folder (a data
    /// dump, a home directory) from being read whole.
    public static let maximumContentFileBytes = 4 * 1024 * 1024
    public static let maximumContentFiles = 1_000

    /// The deepest nesting of arrays and objects a stored attributes object may have to be read into a
    /// user's or an item's view model; a deeper one reads as no attributes. Attributes are flat in
    /// practice (a few levels at most); the bound keeps a hostile import from exhausting the stack of a
    /// recursive reader.
    public static let maximumAttributeNesting = 64

    /// The largest push payload, in UTF-8 bytes: what APNs and FCM accept (4 KiB) for the whole
    /// notification. Measured as the rendered fields' JSON object (`PushPayload`).
    public static let maximumPushPayloadBytes = 4_096

    /// The most parts a campaign may allow one SMS to take. Carriers concatenate up to 255 parts, but
    /// each part is billed, and past ten an SMS is a letter in the wrong channel.
    public static let maximumSMSParts = 10

    /// The most items a recommendation slot may ask for; a message shows a handful.
    public static let maximumRecommendationSlotItems = 20
}

extension Limits {
    // MARK: Landscape

    /// The most principal components the landscape's PCA may keep. The landscape maps users into a few
    /// dimensions to cluster them; each component costs every user a dot product at projection and every
    /// k-means distance one more term, and the PCA's small Jacobi steps grow with its cube. 64 is far past
    /// the 8 to 16 that carry a landscape's structure.
    public static let maximumLandscapeComponents = 64

    /// The most clusters (user types) the landscape's k-means may fit. A cluster is a user type a person
    /// reads and names, and every k-means assignment costs each user k distances per iteration; past 64
    /// types, nobody reads them.
    public static let maximumLandscapeClusters = 64

    /// The most rows the silhouette score may sample. Its distances are exact within the sample, so it
    /// costs the sample's size squared per k tried: 50,000 rows are 2.5 · 10⁹ distances, seconds per k,
    /// where the default 10,000 takes a fraction of one.
    public static let maximumSilhouetteSampleRows = 50_000

    /// The longest look-back period of a landscape aggregate, in days. A year covers any seasonal habit
    /// worth a feature; the per-user active-day bitmaps grow with it.
    public static let maximumLandscapePeriodDays = 366

    /// The most event types the landscape aggregates. Each adds seven features per user, so the feature
    /// matrix stays users × a few hundred floats at most; the rest are left out, rarest first, and the
    /// report says so.
    public static let maximumLandscapeEventTypes = 48

    /// The most catalog categories the landscape turns into share aggregates, those with the most
    /// items first. Category shares say what a user looks at; past a few dozen they are too thin to
    /// tell users apart and widen every user's row.
    public static let maximumLandscapeCategories = 32

    // MARK: Timing

    /// The most days of history timing reads for activity (BG/NBD's recency and frequency): about ten
    /// years. The per-user active-day bitmap costs one bit a day.
    public static let maximumTimingHistoryDays = 3_660
}

extension Limits {
    // MARK: Outbox

    /// The most times one message may be leased. Each lease that ends without a delivery (a retry, or a
    /// lease that lapsed) spends one; a message whose last attempt fails goes to `dead` with its last
    /// reason instead of being handed out again. A message that five consumers in a row could not send
    /// is broken (a bad address, content a provider refuses), and more attempts only repeat the failure
    /// inside its send window; 10 leaves room for a configuration that retries flaky providers harder.
    public static let maximumDeliveryAttempts = 10

    /// The shortest and longest lease a PULL may ask for, in seconds. A lease is how long a consumer has
    /// to send a message and ACK it before the message is handed out again. Under a second, a healthy
    /// consumer's ACK would race the lapse and send duplicates; over an hour, a consumer that died holds
    /// its messages past most send windows (three hours by default), so they expire unsent.
    public static let minimumLeaseSeconds = 1
    public static let maximumLeaseSeconds = 3_600

    /// The most messages one PULL may lease. The answer is streamed in frames, but every leased message is
    /// a journal record and a message the consumer must send before the lease lapses; 10,000 is a
    /// second's work for a fast consumer and a few MiB of answer.
    public static let maximumMessagesPerPull = 10_000

    /// The longest consumer name, in UTF-8 bytes. The name is kept with each lease (in memory and in the
    /// journal) and shown in reports, so it is an identifier, not a payload.
    public static let maximumConsumerNameBytes = 128

    /// The longest failure or retry reason an ACK may give, in UTF-8 bytes. Reasons are kept per failed
    /// and dead message and written to the journal; a provider's error text fits in 1 KiB, and a longer
    /// one is a payload, not a reason.
    public static let maximumAckReasonBytes = 1_024

    /// The most acknowledgements one ACK request may carry. Consumers ack what they pulled, so the bound
    /// matches ``maximumMessagesPerPull``; each is settled on its own, in one group commit, and the answer
    /// holds one result per acknowledgement.
    public static let maximumAcknowledgementsPerRequest = 10_000

    /// The longest an outbox batch may be kept after it settled and its last send window ended, in hours
    /// (aamped's `outbox: retireAfterHours`, default 168): a year. Every kept batch is replayed at start
    /// and re-read by each message-log sync, so keeping them longer only slows both; the message log
    /// keeps every decision and status for good. 0 keeps every batch.
    public static let maximumOutboxRetentionHours = 24 * 366

    /// The most microseconds one CLOCK request may move a simulated clock forward: ten years. A simulated
    /// loop moves it by minutes to days; a jump past this is a unit mistake (nanoseconds for micros), and
    /// would expire every message at once.
    public static let maximumClockAdvanceMicros: Int64 = 10 * 366 * 86_400 * 1_000_000
}

extension Limits {
    // MARK: Assignment

    /// The largest share of users the global control group may hold (it must also be above 0).
    ///
    /// The control group is never messaged, so every point of share is users the campaigns give up. What
    /// it buys is a baseline for incremental lift, and with a fixed number of users the variance of the
    /// treated-minus-control difference is smallest at an even split: past one half, a larger control only
    /// costs sends and makes the lift estimate less precise, never more.
    public static let maximumControlGroupShare = 0.5
}

extension Limits {
    // MARK: Assignment runs

    /// The shortest and longest horizon an assignment run may plan, in seconds. Under an hour no
    /// three-hour window reliably opens; over seven days the plan outlives the models it was made with
    /// (they retrain nightly), and messages sit in the outbox for windows a week out.
    public static let minimumAssignmentHorizonSeconds: Int64 = 3_600
    public static let maximumAssignmentHorizonSeconds: Int64 = 7 * 86_400

    /// How far back an inactivity trigger may look for a user's last event, beyond its duration. Each day
    /// of look-back is a day of events read per run; 365 days covers any win-back campaign.
    public static let maximumTriggerLookbackSeconds: Int64 = 365 * 86_400
}

extension Limits {
    // MARK: The model

    /// The most Newton rounds per empirical-Bayes round, and the most empirical-Bayes rounds, of
    /// `train model`. Each Newton round reads every training row a few times; past these the objective
    /// has long settled (the defaults, 6 and 8, already reach 1e-6), so more only costs time.
    public static let maximumModelNewtonRounds = 50
    public static let maximumModelVarianceRounds = 50

    /// The most labels one goal's model learns (over every label set). Each label adds a population
    /// effect, one per cluster, one per user and one interaction per landscape dimension, and the
    /// global parameters' Hessian grows with their square: 256 labels keep it near a thousand wide.
    public static let maximumModelLabels = 256

    /// The most posterior draws the model policy makes per user. Each draw costs a normal per label and
    /// window of the user's choices; 10,000 resolves a propensity to 0.01 % and already costs a second
    /// per few hundred users.
    public static let maximumModelPolicyDraws = 10_000
}

extension Limits {
    // MARK: Off-policy evaluation

    /// The largest file `aampectl eval ope` and `aampectl eval policy` read (a log, a target policy, a
    /// reward model, randomized policy data), in bytes (1 GiB). Each is read whole into memory, and a
    /// logged row is a few dozen bytes, so a gigabyte is tens of millions of rows, past the row limit.
    public static let maximumOffPolicyFileBytes = 1 << 30

    /// The most logged rows one off-policy evaluation takes: ten million. Every estimator is one pass over
    /// the rows, but a bootstrap repeats the pass per resample, and the row index of a resample must stay
    /// cheap to draw; a randomized experiment with more rows can be evaluated on a sample.
    public static let maximumOffPolicyRows = 10_000_000

    /// The most actions (message choices) an off-policy evaluation compares. The target policy and the
    /// reward model hold a probability and a prediction per row and action; a label set has a handful of
    /// choices, and 256 is far past what any randomized log explores often enough to evaluate.
    public static let maximumOffPolicyActions = 256

    /// The most cells (rows × actions) of one target-policy or reward-model matrix: 2²⁵, 256 MiB of
    /// `Double`. It keeps ten million rows of a few actions, or a hundred thousand rows of 256, in memory.
    public static let maximumOffPolicyCells = 1 << 25

    /// The most bootstrap resamples an estimate may ask for. A percentile interval is stable from about a
    /// thousand; each resample costs a pass over the rows, so 10,000 is already ten thousand passes.
    public static let maximumBootstrapResamples = 10_000

    /// The most feature columns `aampectl eval policy` learns from. Its ridge logistic regression has
    /// 1 + F + K + K·F weights and a dense Hessian, so each Newton step costs their cube: at 32 features
    /// and 16 actions, 561 weights, a few tens of millions of operations per step.
    public static let maximumPolicyFeatures = 32

    /// The most actions `aampectl eval policy` learns over, no message included. Each adds F + 1 weights
    /// to the learner (see ``maximumPolicyFeatures``), and a randomized log must show every action often.
    public static let maximumPolicyActions = 16

    /// The most train/test splits `aampectl eval policy` repeats. Each fits the learner again; 100 repeats
    /// give a spread across splits to two digits, and more only cost time.
    public static let maximumPolicyRepeats = 100
}

extension Limits {
    // MARK: Nightly pipeline

    /// The shortest and longest interval at which aamped's pipeline scheduler looks at the drop folder,
    /// in seconds (`schedule: pollSeconds`). Each look lists at most three folders, so a second costs
    /// nothing; past a day a daily dump could wait a whole day before it is noticed.
    public static let minimumPipelinePollSeconds = 1
    public static let maximumPipelinePollSeconds = 86_400

    /// The shortest and longest time a dropped file's size and modification time must stay unchanged
    /// before the pipeline imports it, in seconds (`schedule: settleSeconds`). Under a second the scheduler
    /// cannot tell a finished file from one being copied between two looks; a day is longer than any
    /// upload of a daily dump takes, and longer would delay the dump past the next one.
    public static let minimumPipelineSettleSeconds = 1
    public static let maximumPipelineSettleSeconds = 86_400

    /// The most drop files one pipeline pass imports. A daily dump is a handful of files (or a few
    /// hundred parts of a warehouse export); a folder with more is a wrong path (a whole bucket's
    /// history), and one pass importing it all would hold the data directory's import lock for hours.
    /// The files past the limit, in name order, wait for the next pass.
    public static let maximumDropFilesPerPass = 1_000

    /// The largest `pipeline.json` (the last pass's report) `aampectl status` reads, in bytes. The report
    /// holds a few steps with their errors cut to ``maximumRunErrorTextBytes``, so it is a few KiB; a
    /// larger file is not one aamped wrote.
    public static let maximumPipelineReportBytes = 64 * 1024
}

extension Limits {
    // MARK: External policies

    /// How long an external policy may take to answer one `decide` request (or to take in one request
    /// line), in seconds, unless `--policy-timeout` says otherwise. A request holds at most
    /// ``externalPolicyCandidatesPerRequest`` candidates; 30 s is far more than a scoring model needs for
    /// a thousand rows, and short enough that a hung process fails a nightly run instead of stalling it.
    public static let defaultExternalPolicyTimeoutSeconds: Int64 = 30
    /// The longest `--policy-timeout`, in seconds (one hour): a longer wait per request would let one
    /// hung process hold the job lock for days over a large campaign.
    public static let maximumExternalPolicyTimeoutSeconds: Int64 = 3_600

    /// The most candidates in one `decide` request line. One line per candidate would cost a round trip
    /// each (a million users, a million pipe turns); one line per campaign would make a line of hundreds
    /// of megabytes. A thousand keeps a request line near 100 KiB to 1 MiB with long landscape vectors.
    public static let externalPolicyCandidatesPerRequest = 1_000

    /// The longest answer line an external policy may write, in bytes, newline excluded. An answer holds
    /// one small object per candidate of the request (about 60 bytes each), so 1 MiB is ample; the bound
    /// keeps a process that writes endless output without a newline from filling the engine's memory.
    public static let maximumExternalPolicyAnswerBytes = 1 << 20

    /// How many of an external policy's last stderr lines an error quotes when it fails, and the longest
    /// such line kept, in bytes. Enough to show a Python traceback's end; the rest is dropped as it comes.
    public static let externalPolicyStderrLines = 20
    public static let maximumExternalPolicyStderrLineBytes = 1_024

    /// How long an external policy has to exit after the engine closes its stdin, in seconds, before it
    /// is sent SIGTERM (and SIGKILL one second later): a well-behaved policy exits at once on end of
    /// input, and a run must not wait on one that does not.
    public static let externalPolicyExitGraceSeconds: Int64 = 5
}

extension Limits {
    // MARK: Reports

    /// The longest period one report covers, in days: a year and a day. Reports hold per-user, per-day
    /// activity bits and per-day series; a year bounds them (10^6 users × 366 days is 46 MB of bits).
    public static let maximumReportDays = 366

    /// How many days before a report's period the lift report reads as the pre-period for CUPED, and
    /// activity for "new or returning" cohorts: four weeks, the length of the usual monthly habit.
    public static let reportPrePeriodDays = 28

    /// The most rows a report table prints in the terminal and HTML before it says how many it left
    /// out (CSV and JSON carry every row). Per-day tables of a year and per-label tables stay whole.
    public static let maximumReportTableRowsShown = 400

    /// The most experiment users `report diversity` counts new items for; past it, a uniform hash sample
    /// of this many. Remembering every (user, item) pair ever viewed cost most of `report all`'s event
    /// pass at 10^6 users (113 million events: a table of tens of millions of pairs, a cache miss a view).
    /// The sample widens the interval by √(users / 100,000), about 3.2 times at 10^6 users, whose 5 %
    /// control side still holds about 5,000 users.
    public static let maximumDiversityUsers = 100_000
}

extension Limits {
    // MARK: HTML report charts

    /// The longest label a chart draws, in characters; a longer one is cut with an ellipsis, and its
    /// whole text stays in the cell's tooltip and in the tables. SVG text does not wrap, so one long
    /// label (a customer's item name) would otherwise squeeze a chart's plot to nothing on a phone.
    public static let maximumReportChartLabelCharacters = 24

    /// The most categories a chart draws: heatmap rows and columns, interval rows, histograms in a
    /// distributions chart. Past 60, a 400-unit-wide chart's cells are thinner than a finger and its
    /// labels unreadable; the chart's caption says how many it left out, and the tables hold them all.
    public static let maximumReportChartCategories = 60

    /// The most points a band chart draws and bins a histogram draws. A year of days
    /// (``maximumReportDays``) fits; it bounds the page's size against a document built elsewhere.
    public static let maximumReportChartPoints = 400
}

extension Limits {
    // MARK: Catalog freshness

    /// The most items the daemon's catalog overlay holds: catalog rows imported since the served
    /// generation was trained (changed items and items new since training) plus items changed by TRACK
    /// `item_updated`. A refresh (RELOAD, which `aampectl import catalog` sends) reads those rows from
    /// SQLite and rebuilds the overlay (and the next requests rebuild their filter bitmaps): with 20,000
    /// rows a RELOAD took 300 to 550 ms on the shared 2-core machine, so the bound keeps "a catalog
    /// change reaches the daemon within a second". A TRACK update copies the overlay's table (a few
    /// milliseconds at this size) on the event loop. A change bigger than this is what a retrain is for
    /// (a row imported again with the same content does not count, so a nightly re-import of a whole
    /// large catalog counts only the rows it changes). Past it, a refresh fails (the daemon keeps the
    /// overlay it has, logs why and RELOAD answers INTERNAL_ERROR naming the limit) and TRACK refuses
    /// updates of further items.
    public static let maximumCatalogOverlayItems = 20_000
}
