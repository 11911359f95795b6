import AampeCore
import Testing

@Suite("Data directory resolution")
struct DataDirectoryTests {
    @Test("the --data-dir flag wins over the environment and the default")
    func flagWins() {
        let directory = DataDirectory.resolve(
            flag: "/srv/flag",
            environment: ["AAMPE_DATA_DIR": "/srv/env"],
            currentDirectory: "/home/op"
        )
        #expect(directory.path == "/srv/flag")
    }

    @Test("AAMPE_DATA_DIR is used when there is no flag")
    func environmentSecond() {
        let directory = DataDirectory.resolve(
            flag: nil,
            environment: ["AAMPE_DATA_DIR": "/srv/env"],
            currentDirectory: "/home/op"
        )
        #expect(directory.path == "/srv/env")
    }

    @Test("./aampe-data is the default")
    func defaultLast() {
        let directory = DataDirectory.resolve(flag: nil, environment: [:], currentDirectory: "/home/op")
        #expect(directory.path == "/home/op/aampe-data")
    }

    @Test("an empty flag or variable counts as absent")
    func emptyIsAbsent() {
        #expect(
            DataDirectory.resolve(flag: "", environment: ["AAMPE_DATA_DIR": "/srv/env"], currentDirectory: "/x").path
                == "/srv/env"
        )
        #expect(
            DataDirectory.resolve(flag: nil, environment: ["AAMPE_DATA_DIR": ""], currentDirectory: "/x").path
                == "/x/aampe-data"
        )
    }

    @Test(
        "relative paths resolve against the working directory, lexically normalized",
        arguments: [
            ("data", "/home/op", "/home/op/data"),
            ("./data/", "/home/op/", "/home/op/data"),
            ("../shared/d", "/home/op", "/home/shared/d"),
            ("/abs//x/./y/", "/ignored", "/abs/x/y"),
        ]
    )
    func relativePaths(flag: String, currentDirectory: String, expected: String) {
        let directory = DataDirectory.resolve(flag: flag, environment: [:], currentDirectory: currentDirectory)
        #expect(directory.path == expected)
    }

    @Test("the layout names the paths of DESIGN.md section 3")
    func layout() {
        let directory = DataDirectory(path: "/d")
        #expect(directory.databasePath == "/d/aampe.sqlite")
        #expect(directory.eventsPath == "/d/events")
        #expect(directory.generationsPath == "/d/generations")
        #expect(directory.currentGenerationPointerPath == "/d/generations/CURRENT")
        #expect(directory.realtimePath == "/d/realtime")
        #expect(directory.quarantinePath == "/d/quarantine")
        #expect(directory.socketPath == "/d/aamped.sock")
    }
}
