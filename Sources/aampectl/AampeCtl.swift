import AampeCore
import ArgumentParser

/// `aampectl`: imports, content, training, assignment runs, reports and daemon control, over one data
/// directory.
@main
struct AampeCtl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "aampectl",
        abstract: "Operate an aamped data directory: import, train, assign, report, and control the daemon.",
        version: AampeVersion.current,
        subcommands: [
            InitCommand.self, StatusCommand.self, ImportCommand.self, EventsCommand.self, PingCommand.self,
            StatsCommand.self, ReloadCommand.self, TrainCommand.self, RecommendCommand.self,
            SimilarCommand.self, TrackCommand.self, ScoreCommand.self, AudienceCommand.self, EvalCommand.self,
            ContentCommand.self, LandscapeCommand.self, TimingCommand.self, ModelCommand.self, AssignCommand.self,
            OutboxCommand.self, PipelineCommand.self, ReportCommand.self,
        ]
    )
}
