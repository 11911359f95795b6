import AampeStore
import AampeTestSupport
import Foundation
import GRDB
import Testing

@Suite("aampectl init and status, run as a binary")
struct InitAndStatusCommandTests {
    @Test("init creates a data directory, and a second init says it is ready")
    func initTwice() throws {
        let folder = try TemporaryFolder()
        let data = folder.child("data")
        let first = try Aampectl.run(["init", "--data-dir", data])
        #expect(first.status == 0)
        #expect(
            first.standardOutput == "Created data directory \(data) (schema version \(Store.supportedSchemaVersion)).\n"
        )
        let second = try Aampectl.run(["init", "--data-dir", data])
        #expect(second.status == 0)
        #expect(
            second.standardOutput
                == "Data directory \(data) is ready (schema version \(Store.supportedSchemaVersion)).\n"
        )
    }

    @Test("init on a folder holding other files fails with a message naming it")
    func initRefusesForeignFolder() throws {
        let folder = try TemporaryFolder()
        _ = FileManager.default.createFile(atPath: folder.child("report.pdf"), contents: Data())
        let result = try Aampectl.run(["init", "--data-dir", folder.path])
        #expect(result.status != 0)
        #expect(result.standardError.contains(folder.path))
        #expect(result.standardError.contains("report.pdf"))
    }

    @Test("init on a data directory from a newer schema fails and says to upgrade")
    func initRefusesNewerSchema() throws {
        let folder = try TemporaryFolder()
        let data = folder.child("data")
        #expect(try Aampectl.run(["init", "--data-dir", data]).status == 0)
        try DatabaseQueue(path: data + "/aampe.sqlite").write { db in
            try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('9999 from the future')")
        }
        let result = try Aampectl.run(["init", "--data-dir", data])
        #expect(result.status != 0)
        #expect(result.standardError.contains("newer aamped"))
    }

    @Test("status --json parses back and describes the new data directory")
    func statusJSON() throws {
        let folder = try TemporaryFolder()
        let data = folder.child("data")
        #expect(try Aampectl.run(["init", "--data-dir", data]).status == 0)
        let result = try Aampectl.run(["status", "--data-dir", data, "--json"])
        #expect(result.status == 0)
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any]
        )
        #expect(object["dataDirectory"] as? String == data)
        #expect((object["schema"] as? [String: Any])?["version"] as? Int == Store.supportedSchemaVersion)
        #expect((object["counts"] as? [String: Any])?["runs"] as? Int == 0)
        #expect(object["currentGeneration"] is NSNull)
        let disk = try #require(object["diskUsage"] as? [String: Any])
        #expect((disk["databaseBytes"] as? Int ?? 0) > 0)
        #expect(disk["eventsBytes"] as? Int == 0)
    }

    @Test("status prints a table")
    func statusTable() throws {
        let folder = try TemporaryFolder()
        let data = folder.child("data")
        #expect(try Aampectl.run(["init", "--data-dir", data]).status == 0)
        let lines = try Aampectl.run(["status", "--data-dir", data]).standardOutput.split(separator: "\n")
        #expect(lines.first?.hasPrefix("item") == true)
        #expect(lines.contains { $0.hasPrefix("current generation") && $0.hasSuffix("none") })
        #expect(
            lines.contains {
                $0.hasPrefix("schema version")
                    && $0.contains("\(Store.supportedSchemaVersion) (this build: \(Store.supportedSchemaVersion))")
            }
        )
    }

    @Test("status on a folder without a data directory fails and creates nothing")
    func statusRequiresInit() throws {
        let folder = try TemporaryFolder()
        let data = folder.child("data")
        let result = try Aampectl.run(["status", "--data-dir", data])
        #expect(result.status != 0)
        #expect(result.standardError.contains("aampectl init"))
        #expect(!FileManager.default.fileExists(atPath: data))
    }

    @Test("the data directory comes from --data-dir, else AAMPE_DATA_DIR, else ./aampe-data")
    func resolutionOrder() throws {
        let folder = try TemporaryFolder()
        let fromEnvironment = folder.child("from-env")
        let fromFlag = folder.child("from-flag")

        #expect(try Aampectl.run(["init"], workingDirectory: folder.path).status == 0)
        #expect(FileManager.default.fileExists(atPath: folder.child("aampe-data/aampe.sqlite")))

        let environment = ["AAMPE_DATA_DIR": fromEnvironment]
        #expect(try Aampectl.run(["init"], environment: environment, workingDirectory: folder.path).status == 0)
        #expect(FileManager.default.fileExists(atPath: fromEnvironment + "/aampe.sqlite"))

        let flagged = try Aampectl.run(["init", "--data-dir", fromFlag], environment: environment)
        #expect(flagged.status == 0)
        #expect(FileManager.default.fileExists(atPath: fromFlag + "/aampe.sqlite"))

        let status = try Aampectl.run(["status", "--json"], environment: environment, workingDirectory: folder.path)
        #expect(status.standardOutput.contains("\"dataDirectory\" : \"\(fromEnvironment)\""))
    }
}

@Suite("aampectl help, version and completion")
struct HelpCommandTests {
    @Test("--version prints the version", arguments: [["--version"], ["init", "--version"], ["status", "--version"]])
    func version(arguments: [String]) throws {
        let result = try Aampectl.run(arguments)
        #expect(result.status == 0)
        #expect(result.standardOutput == "0.1.0\n")
    }

    /// The subcommands a `--help` page lists under SUBCOMMANDS, without the `help` command itself.
    static func subcommands(inHelp page: String) -> [String] {
        guard let start = page.range(of: "SUBCOMMANDS:\n") else { return [] }
        var names: [String] = []
        for line in page[start.upperBound...].split(separator: "\n", omittingEmptySubsequences: false) {
            guard line.hasPrefix("  ") else { break }
            let name = line.split(separator: " ", omittingEmptySubsequences: true).first.map(String.init) ?? ""
            if !name.isEmpty && name != "help" && !line.hasPrefix("   ") { names.append(name) }
        }
        return names
    }

    @Test("--help works on every command, found by walking the command tree from the root's help")
    func helpOnEveryCommand() throws {
        var pending: [[String]] = [[]]
        var visited: [String] = []
        while let command = pending.popLast() {
            let result = try Aampectl.run(command + ["--help"])
            #expect(result.status == 0, "aampectl \(command.joined(separator: " ")) --help exited \(result.status)")
            #expect(result.standardOutput.contains("USAGE: aampectl"), "no usage for \(command)")
            visited.append(command.joined(separator: " "))
            pending += Self.subcommands(inHelp: result.standardOutput).map { command + [$0] }
        }
        // The walk must reach every command there is; these are the ones a user types today.
        let expected = [
            "init", "status", "import", "import events", "import users", "import catalog", "events", "events summary",
            "events dump", "ping", "stats", "reload", "train", "train recommender", "recommend", "similar", "track",
            "score",
            "audience", "audience affinity", "eval", "eval recommender",
        ]
        for name in expected { #expect(visited.contains(name), "--help walk did not reach '\(name)'") }
    }

    @Test("a completion script is generated", arguments: ["bash", "zsh", "fish"])
    func completion(shell: String) throws {
        let result = try Aampectl.run(["--generate-completion-script", shell])
        #expect(result.status == 0)
        #expect(result.standardOutput.contains("status"))
        #expect(result.standardOutput.contains("init"))
    }
}
