/// Writing CSV fields as RFC 4180 reads them back: every export and every CSV report quotes here.
public enum CSVText {
    /// `text` as one CSV field: as is, or in double quotes with inner quotes doubled when it holds a
    /// comma, a quote or a line break.
    public static func field(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) else {
            return text
        }
        var quoted = "\""
        for character in text {
            if character == "\"" { quoted += "\"\"" } else { quoted.append(character) }
        }
        return quoted + "\""
    }
}

/// Writing JSON strings by hand where JSONEncoder costs too much per value (the real-time log, the
/// outbox's JSON lines, the message log's arrays): one escaping rule for all of them.
public enum JSONText {
    /// `text` as a JSON string (RFC 8259 section 7): quote, backslash and control characters escaped,
    /// everything else as is.
    public static func quoted(_ text: String) -> String {
        var out = "\""
        out.reserveCapacity(text.utf8.count + 2)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// `strings` as a JSON array of strings.
    public static func array(_ strings: [String]) -> String {
        "[" + strings.map(quoted).joined(separator: ",") + "]"
    }
}
