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
