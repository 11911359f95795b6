import AampeReports
import AampeTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The HTML report as a reader's browser shows it: Debian's `chromium`, headless, at a phone's width.
///
/// Chromium's headless window is never narrower than 500 pixels, whatever `--window-size` says, so the
/// test does not measure the window: it loads a small wrapper page that holds the report in a 375-pixel
/// iframe (`srcdoc`, so the wrapper's script may read it) and, once the report has loaded, writes the
/// report's scroll width and its charts' ids into the wrapper's DOM, which `--dump-dom` prints. The
/// report inside keeps its own Content-Security-Policy and has no script; only the wrapper has one. The
/// wrapper also logs one console line, which shows that console messages do reach stderr: without it,
/// "no console error" could pass because nothing was captured.
@Suite("HTML report in headless Chromium")
struct HTMLReportChromiumTests {
    /// The phone width the page must fit, in CSS pixels (an iPhone's portrait viewport).
    static let viewportWidth = 375
    /// Taller than a phone, so that the screenshot shows the charts, not only the header; the width
    /// check does not depend on it.
    static let viewportHeight = 2_400

    @Test(
        "the sample report renders in Chromium at 375 px: every chart present, no console error, no sideways scroll",
        .enabled(
            if: Chromium.binary != nil || Chromium.isRequired,
            "no chromium binary on PATH: install Debian's chromium package (tools/setup does, and CI runs it)"
        ),
        .timeLimit(.minutes(5))
    )
    func rendersAtPhoneWidth() throws {
        let chromium = try #require(
            Chromium.binary,
            "AAMPE_REQUIRE_CHROMIUM is set but no chromium binary is on PATH (or AAMPE_CHROMIUM)"
        )
        let folder = try TemporaryFolder(prefix: "aampe-html-report")
        let report = HTMLReportRenderer.render(HTMLReportSample.rich)
        try folder.write("wrapper.html", Self.wrapper(report))
        let artifacts = Chromium.artifactsFolder()
        try FileManager.default.createDirectory(atPath: artifacts, withIntermediateDirectories: true)
        let screenshot = artifacts + "/report-375.png"
        try? FileManager.default.removeItem(atPath: screenshot)
        try report.write(toFile: artifacts + "/report-sample.html", atomically: true, encoding: .utf8)

        let started = Date()
        let run = try Chromium.run(
            chromium,
            [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--no-first-run", "--no-default-browser-check", "--disable-extensions",
                "--disable-background-networking", "--disable-component-update", "--hide-scrollbars",
                "--user-data-dir=\(folder.child("profile"))",
                "--window-size=\(Self.viewportWidth),\(Self.viewportHeight)",
                "--enable-logging=stderr", "--v=0",
                "--screenshot=\(screenshot)", "--dump-dom",
                "file://\(folder.child("wrapper.html"))",
            ],
            home: folder.path,
            timeoutSeconds: 180
        )
        let seconds = Date().timeIntervalSince(started)
        print("chromium: ran in \(String(format: "%.1f", seconds)) s; screenshot \(screenshot)")
        #expect(run.status == 0, "chromium exited with \(run.status); stderr: \(run.standardError.suffix(2_000))")

        // The console: only the wrapper's own line, which proves the channel works.
        let consoleLines = run.standardError.split(separator: "\n").filter {
            $0.contains("CONSOLE") || $0.contains("Uncaught")
        }
        #expect(consoleLines.contains { $0.contains(Self.measuredMarker) }, "the wrapper's console line never arrived")
        let errors = consoleLines.filter { !$0.contains(Self.measuredMarker) }
        #expect(errors.isEmpty, "console: \(errors.joined(separator: "\n"))")

        let measurement = try #require(Self.measurement(in: run.standardOutput), "no measurement in the dumped DOM")
        #expect(measurement.innerWidth == Self.viewportWidth)
        #expect(
            measurement.scrollWidth <= Self.viewportWidth,
            "the page is \(measurement.scrollWidth) px wide at a \(Self.viewportWidth) px viewport"
        )
        #expect(measurement.bodyScrollWidth <= Self.viewportWidth)
        #expect(measurement.chartIDs == HTMLReportSample.chartIDs)
        // Every chart drew at a readable size: no svg collapsed to nothing.
        #expect(measurement.chartWidths.allSatisfy { $0 > 200 && $0 <= Double(Self.viewportWidth) })

        let png = try Data(contentsOf: URL(fileURLWithPath: screenshot))
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]))
        // IHDR's width, big-endian at byte 16.
        if png.count >= 24 {
            let width = png[16..<20].reduce(0) { $0 << 8 | Int($1) }
            #expect(width == Self.viewportWidth)
        }
    }

    static let measuredMarker = "aampe-report-measured"

    /// What the wrapper's script found in the loaded report.
    struct Measurement: Decodable {
        var scrollWidth: Int
        var bodyScrollWidth: Int
        var innerWidth: Int
        var chartIDs: [String]
        var chartWidths: [Double]
    }

    /// The wrapper page: the report in a 375 × 800 iframe, and a script that measures it once loaded.
    static func wrapper(_ report: String) -> String {
        // In an attribute, `&` and `"` are all that need escaping; the report's own `&amp;` become
        // `&amp;amp;` and come back as `&amp;` when the browser reads the attribute.
        let source = report.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "\"", with: "&quot;")
        return """
            <!DOCTYPE html>
            <html><head><meta charset="utf-8">
            <style>html, body { margin: 0; } iframe { display: block; border: 0; \
            width: \(viewportWidth)px; height: \(viewportHeight)px; }</style>
            <script>
            function measure(frame) {
              var page = frame.contentDocument, root = page.documentElement;
              var charts = Array.prototype.slice.call(page.querySelectorAll("svg[id]"));
              var result = {
                scrollWidth: root.scrollWidth, bodyScrollWidth: page.body.scrollWidth,
                innerWidth: frame.contentWindow.innerWidth,
                chartIDs: charts.map(function (svg) { return svg.id; }),
                chartWidths: charts.map(function (svg) { return svg.getBoundingClientRect().width; })
              };
              document.getElementById("measurement").textContent = JSON.stringify(result);
              console.log("\(measuredMarker)");
            }
            </script></head>
            <body><iframe onload="measure(this)" srcdoc="\(source)"></iframe>
            <pre id="measurement"></pre></body></html>

            """
    }

    /// The measurement the wrapper wrote into `<pre id="measurement">` in the dumped DOM.
    static func measurement(in dom: String) -> Measurement? {
        guard let start = dom.range(of: "<pre id=\"measurement\">"),
            let end = dom[start.upperBound...].range(of: "</pre>")
        else { return nil }
        let json = dom[start.upperBound..<end.lowerBound]
            .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&amp;", with: "&")
        return try? JSONDecoder().decode(Measurement.self, from: Data(json.utf8))
    }
}

/// Finding and running a headless Chromium.
enum Chromium {
    /// `$AAMPE_CHROMIUM`, else the first of Debian's `chromium` (or Ubuntu's `chromium-browser`) on PATH.
    static let binary: String? = {
        let environment = ProcessInfo.processInfo.environment
        if let path = environment["AAMPE_CHROMIUM"], !path.isEmpty { return path }
        let folders = (environment["PATH"] ?? "/usr/bin").split(separator: ":")
        for name in ["chromium", "chromium-browser"] {
            for folder in folders where FileManager.default.isExecutableFile(atPath: "\(folder)/\(name)") {
                return "\(folder)/\(name)"
            }
        }
        return nil
    }()

    /// CI sets `AAMPE_REQUIRE_CHROMIUM=1`, so that a machine without Chromium fails the test instead of
    /// skipping it: the check must not vanish from CI because an install went missing.
    static let isRequired = ProcessInfo.processInfo.environment["AAMPE_REQUIRE_CHROMIUM"] == "1"

    /// `$AAMPE_ARTIFACTS_DIR`, else `.build/artifacts` in the package.
    static func artifactsFolder() -> String {
        if let folder = ProcessInfo.processInfo.environment["AAMPE_ARTIFACTS_DIR"], !folder.isEmpty { return folder }
        // This file is Tests/AampeReportsTests/<name>.swift: three levels under the package root.
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return root.appendingPathComponent(".build/artifacts").path
    }

    struct Result {
        var status: Int32
        var standardOutput: String
        var standardError: String
    }

    /// Runs `binary arguments` with its home, config and cache in `home` (so it shares no profile or
    /// cache with another run), its output in files (so a chatty browser cannot fill a pipe and stall),
    /// and kills it if it runs past `timeoutSeconds`: a hung browser must fail the test, not hang CI.
    static func run(_ binary: String, _ arguments: [String], home: String, timeoutSeconds: Double) throws -> Result {
        let outputPath = home + "/chromium.stdout"
        let errorPath = home + "/chromium.stderr"
        for path in [outputPath, errorPath] where !FileManager.default.createFile(atPath: path, contents: nil) {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
        }
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        let error = try FileHandle(forWritingTo: URL(fileURLWithPath: errorPath))
        defer {
            try? output.close()
            try? error.close()
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = home
        environment["XDG_CONFIG_HOME"] = home + "/config"
        environment["XDG_CACHE_HOME"] = home + "/cache"
        // No display: headless needs none, and an inherited one must not be used.
        environment["DISPLAY"] = nil
        environment["WAYLAND_DISPLAY"] = nil
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = output
        process.standardError = error
        try process.run()
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            Issue.record("chromium ran past \(Int(timeoutSeconds)) s and was killed")
        }
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus,
            standardOutput: (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "",
            standardError: (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? ""
        )
    }
}
