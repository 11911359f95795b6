import AampeIngest
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A one-line progress bar on standard error: share of bytes, rows, rows/s and MB/s. Drawn at most five
/// times a second, and only when standard error is a terminal, so scripts and logs see just the summary.
final class ProgressBar: @unchecked Sendable {
    // @unchecked: the importer calls `update` from the one thread that runs it.
    private let started = Date()
    private var lastDrawn = Date.distantPast
    private var isDrawn = false

    static func onTerminal() -> ProgressBar? {
        isatty(STDERR_FILENO) == 1 ? ProgressBar() : nil
    }

    func update(_ progress: ImportProgress) {
        let now = Date()
        guard now.timeIntervalSince(lastDrawn) >= 0.2 else { return }
        lastDrawn = now
        let elapsed = max(now.timeIntervalSince(started), 0.001)
        let share = progress.totalBytes > 0 ? min(1, Double(progress.bytesRead) / Double(progress.totalBytes)) : 0
        let width = 24
        let filled = Int(share * Double(width))
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        let rows = Double(progress.rowsRead)
        let line = String(
            format: "\r[%@] %3.0f%%  %@ rows  %@ rows/s  %.1f MB/s  %@",
            bar,
            share * 100,
            Self.short(rows),
            Self.short(rows / elapsed),
            Double(progress.bytesRead) / 1e6 / elapsed,
            (progress.currentFile as NSString).lastPathComponent
        )
        FileHandle.standardError.write(Data((line + "\u{1B}[K").utf8))
        isDrawn = true
    }

    func finish() {
        if isDrawn { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }

    static func short(_ value: Double) -> String {
        switch value {
        case 1e9...: String(format: "%.2fG", value / 1e9)
        case 1e6...: String(format: "%.2fM", value / 1e6)
        case 1e3...: String(format: "%.1fk", value / 1e3)
        default: String(format: "%.0f", value)
        }
    }
}
