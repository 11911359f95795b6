/// Text made safe for an HTML or SVG document.
///
/// Titles, labels and notes come from customers' content (label names, campaign names, item names), so
/// every string the HTML renderer writes passes through here, in text and in attribute values alike.
enum HTMLText {
    /// `text` with the five characters HTML gives meaning to replaced by references, and control
    /// characters HTML forbids replaced by U+FFFD. Safe in element content and in a double- or
    /// single-quoted attribute value.
    static func escaped(_ text: String) -> String {
        var result = ""
        result.unicodeScalars.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            case "\t", "\n", "\r": result.unicodeScalars.append(scalar)
            // > Control characters other than ASCII whitespace are parse errors (HTML Living Standard,
            // > 13.2.5 "Tokenization": control-character-in-input-stream), as is U+0000.
            case _ where scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value):
                result.unicodeScalars.append("\u{FFFD}")
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// `text` cut to `maximumCharacters` characters, with an ellipsis when it was cut: chart labels
    /// cannot wrap, so a long one would run over its neighbours.
    static func shortened(_ text: String, maximumCharacters: Int) -> String {
        precondition(maximumCharacters >= 2, "a label needs room for one character and the ellipsis")
        guard text.count > maximumCharacters else { return text }
        return String(text.prefix(maximumCharacters - 1)) + "…"
    }
}
