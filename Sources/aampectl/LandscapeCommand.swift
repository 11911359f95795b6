import AampeJobs
import AampeLearning
import ArgumentParser
import Foundation

/// `aampectl landscape`: read the live generation's landscape.
struct LandscapeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "landscape",
        abstract: "Show or export the user landscape of the live generation.",
        subcommands: [LandscapeShowCommand.self, LandscapeExportCommand.self]
    )
}

/// `aampectl landscape show`
struct LandscapeShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Print the clusters, their sizes and the aggregates that set each apart."
    )

    @OptionGroup var dataDirectory: DataDirectoryOptions

    @Flag(help: "Print landscape.json's summary as JSON.")
    var json = false

    func run() async throws {
        let landscape = try LandscapeLookup.current(directory: dataDirectory.dataDirectory)
        let manifest = landscape.manifest
        if json {
            print(try JSONText.pretty(manifest.clusterProfiles))
            return
        }
        let explained = manifest.pca.explainedVarianceRatio.reduce(0, +)
        print(
            String(
                format:
                    "generation %llu: %@ users, %d dimensions explaining %.1f %% of the variance, %d clusters (silhouette %.3f)\n",
                landscape.generationNumber,
                ImportReport.grouped(Int64(manifest.userCount)),
                manifest.pca.componentCount,
                explained * 100,
                manifest.clusterCount,
                manifest.silhouette
            )
        )
        print(Self.clusterTable(manifest.clusterProfiles, users: manifest.userCount))
    }

    /// One row per cluster: size, share and the aggregates that set it apart, with the cluster's mean
    /// against everyone's.
    static func clusterTable(_ profiles: [ClusterProfile], users: Int) -> String {
        var rows = [["cluster", "users", "share", "what sets it apart (cluster mean vs everyone)"]]
        for profile in profiles {
            let apart = profile.distinguishing.prefix(3).map { distinction in
                String(
                    format: "%@ %@ %.3g vs %.3g",
                    distinction.feature,
                    distinction.standardizedMean > 0 ? "↑" : "↓",
                    distinction.clusterMean,
                    distinction.populationMean
                )
            }
            rows.append([
                "\(profile.cluster)", ImportReport.grouped(Int64(profile.users)),
                String(format: "%.1f %%", users > 0 ? Double(profile.users) / Double(users) * 100 : 0),
                apart.joined(separator: "; "),
            ])
        }
        return TextTable.columns(rows) { $0 == 1 || $0 == 2 }
    }
}

/// `aampectl landscape export`
struct LandscapeExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write every user's cluster and vector as CSV to standard output: user_id,cluster,v0,…"
    )

    @OptionGroup var dataDirectory: DataDirectoryOptions

    func run() async throws {
        let landscape = try LandscapeLookup.current(directory: dataDirectory.dataDirectory)
        let stdout = FileHandle.standardOutput
        try LandscapeLookup.writeCSV(landscape) { stdout.write(Data($0.utf8)) }
    }
}
