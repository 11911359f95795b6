import AampeCore
import AampeStore
import AampeTestSupport
import Foundation
import GRDB
import Testing

@Suite("Data directory: init and open")
struct DataDirectorySetupTests {
    @Test("init creates the folder layout and a migrated database")
    func createsLayout() throws {
        let folder = try TemporaryFolder()
        let directory = DataDirectory(path: folder.child("data"))
        let (store, outcome) = try directory.initialize()
        #expect(outcome == .created)
        for path in directory.folders {
            var isFolder: ObjCBool = false
            #expect(FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) && isFolder.boolValue)
        }
        #expect(FileManager.default.fileExists(atPath: directory.databasePath))
        #expect(try store.meta().schemaVersion == Store.supportedSchemaVersion)
    }

    @Test("init twice is harmless: same identity, same data")
    func idempotent() throws {
        let folder = try TemporaryFolder()
        let directory = DataDirectory(path: folder.child("data"))
        let first = try directory.initialize().store
        let runID = try first.runs.begin(.import, subject: "events")
        let (second, outcome) = try directory.initialize()
        #expect(outcome == .alreadyInitialized)
        #expect(try second.meta() == first.meta())
        #expect(try second.runs.run(runID).subject == "events")
    }

    @Test("init completes a layout left half-made by a killed run")
    func completesPartialLayout() throws {
        let folder = try TemporaryFolder()
        let directory = DataDirectory(path: folder.child("data"))
        try FileManager.default.createDirectory(atPath: directory.eventsPath, withIntermediateDirectories: true)
        #expect(try directory.initialize().outcome == .created)
        #expect(FileManager.default.fileExists(atPath: directory.quarantinePath))
    }

    @Test("init on an empty existing folder uses it")
    func emptyFolder() throws {
        let folder = try TemporaryFolder()
        #expect(try DataDirectory(path: folder.path).initialize().outcome == .created)
    }

    @Test("init refuses a folder that holds other files, and leaves it alone")
    func refusesForeignFolder() throws {
        let folder = try TemporaryFolder()
        _ = FileManager.default.createFile(atPath: folder.child("notes.txt"), contents: Data("mine".utf8))
        #expect(throws: StoreError.foreignEntries(path: folder.path, names: ["notes.txt"])) {
            try DataDirectory(path: folder.path).initialize()
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["notes.txt"])
    }

    @Test("init refuses a path that is a file")
    func refusesFile() throws {
        let folder = try TemporaryFolder()
        let file = folder.child("file")
        _ = FileManager.default.createFile(atPath: file, contents: Data())
        #expect(throws: StoreError.notAFolder(path: file)) { try DataDirectory(path: file).initialize() }
    }

    @Test("init refuses a data directory written by a newer schema")
    func refusesNewerSchema() throws {
        let folder = try TemporaryFolder()
        let directory = DataDirectory(path: folder.child("data"))
        try directory.initialize()
        try DatabaseQueue(path: directory.databasePath).write { db in
            try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('9999 from the future')")
        }
        #expect(throws: StoreError.self) { try directory.initialize() }
        #expect(throws: StoreError.self) { try directory.openStore() }
    }

    @Test("other commands refuse a folder that init has not set up, and create nothing")
    func openRequiresInit() throws {
        let folder = try TemporaryFolder()
        let directory = DataDirectory(path: folder.child("data"))
        #expect(throws: StoreError.notInitialized(path: directory.path)) { try directory.openStore() }
        #expect(!FileManager.default.fileExists(atPath: directory.path))
    }

    @Test("the path length limit holds at its value and fails one byte past it")
    func pathLengthLimit() throws {
        let folder = try TemporaryFolder()
        let limit = Limits.maximumDataDirectoryPathBytes
        let room = limit - folder.path.utf8.count - 1
        try #require(room > 1)
        let atLimit = DataDirectory(path: folder.child(String(repeating: "a", count: room)))
        #expect(atLimit.path.utf8.count == limit)
        try atLimit.initialize()
        let overLimit = DataDirectory(path: folder.child(String(repeating: "b", count: room + 1)))
        #expect(throws: StoreError.pathTooLong(path: overLimit.path, bytes: limit + 1, limit: limit)) {
            try overLimit.initialize()
        }
    }

    @Test("disk usage counts the files in each part")
    func diskUsage() throws {
        let folder = try TemporaryFolder()
        let directory = DataDirectory(path: folder.child("data"))
        try directory.initialize()
        _ = FileManager.default.createFile(atPath: directory.eventsPath + "/a", contents: Data(count: 1000))
        try FileManager.default.createDirectory(
            atPath: directory.generationsPath + "/1",
            withIntermediateDirectories: true
        )
        _ = FileManager.default.createFile(atPath: directory.generationsPath + "/1/b", contents: Data(count: 333))
        let usage = try directory.diskUsage()
        #expect(usage.eventsBytes == 1000)
        #expect(usage.generationsBytes == 333)
        #expect(usage.databaseBytes > 0)
        #expect(usage.totalBytes == usage.databaseBytes + 1333)
    }
}
