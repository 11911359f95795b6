import Foundation

/// What the SVG charts share: numbers written into attributes, linear scales, axis ticks, a sequential
/// colour scale and a text-width estimate.
///
/// Every coordinate goes through ``number(_:)``, which never writes `NaN` or `inf`: a browser drops an
/// element whose attribute does not parse, so a single bad value would silently erase a bar or a band.
enum SVG {
    /// The font size of axis labels and legends, in viewBox units. Charts are 400 units wide, so on a
    /// 375-pixel phone (about 350 pixels of content) this is 10 pixels, and 15 on a desktop's 600.
    static let fontSize = 11.0
    /// The width every chart's viewBox has.
    static let width = 400.0

    /// `value` rounded to a tenth of a unit, without trailing zeros; `0` for a value that is not finite.
    static func number(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        let tenths = (value * 10).rounded()
        guard abs(tenths) < 1e12 else { return value < 0 ? "-100000000000" : "100000000000" }
        let whole = Int(tenths)
        if whole % 10 == 0 { return String(whole / 10) }
        return (whole < 0 ? "-" : "") + String(abs(whole) / 10) + "." + String(abs(whole) % 10)
    }

    /// About how wide `text` is at `fontSize`, erring wide: an average glyph of a sans-serif face is a
    /// bit over half its size, and capitals (`W`, `M`) are wider. Used to decide whether a label fits and
    /// how much room a column of labels needs, never to place one exactly.
    static func textWidth(_ text: String, fontSize: Double = fontSize) -> Double {
        text.reduce(0) { width, character in
            width + fontSize * (character.isUppercase || character == "m" || character == "w" ? 0.8 : 0.6)
        }
    }

    /// A value as a tick or legend label: three significant digits, as the report's tables print them.
    static func label(_ value: Double) -> String {
        ReportNumberFormat.string(value, significant: 3)
    }

    /// The `[lower, upper]` span of the finite values among `values`, or `nil` when there is none.
    static func extent(_ values: some Sequence<Double?>) -> ClosedRange<Double>? {
        var lower = Double.infinity
        var upper = -Double.infinity
        for case let value? in values where value.isFinite {
            lower = min(lower, value)
            upper = max(upper, value)
        }
        return lower <= upper ? lower...upper : nil
    }

    /// A map from a data domain onto a span of viewBox units. A domain of one point, or none, is widened
    /// so that the map stays finite.
    struct LinearScale {
        let domain: ClosedRange<Double>
        let range: ClosedRange<Double>
        /// Whether larger values go towards `range.lowerBound` (a y axis: SVG's y grows downwards).
        let isReversed: Bool

        init(domain: ClosedRange<Double>?, range: ClosedRange<Double>, isReversed: Bool = false) {
            var lower = domain?.lowerBound ?? 0
            var upper = domain?.upperBound ?? 1
            if !lower.isFinite || !upper.isFinite {
                lower = 0
                upper = 1
            }
            if upper - lower <= max(abs(lower), abs(upper)) * 1e-12 {
                let pad = lower == 0 ? 1 : abs(lower) * 0.1
                lower -= pad
                upper += pad
            }
            self.domain = lower...upper
            self.range = range
            self.isReversed = isReversed
        }

        /// Where `value` lands, clamped to the range so that an outlier cannot draw outside the chart.
        func callAsFunction(_ value: Double) -> Double {
            guard value.isFinite else { return isReversed ? range.upperBound : range.lowerBound }
            var fraction = (value - domain.lowerBound) / (domain.upperBound - domain.lowerBound)
            fraction = min(1, max(0, fraction))
            if isReversed { fraction = 1 - fraction }
            return range.lowerBound + fraction * (range.upperBound - range.lowerBound)
        }

        /// This scale with its domain widened to round tick values, and the ticks: about `count` of them,
        /// at 1, 2 or 5 times a power of ten, as a reader would choose.
        func niced(count: Int = 5) -> (scale: LinearScale, ticks: [Double]) {
            let rawStep = (domain.upperBound - domain.lowerBound) / Double(max(1, count))
            let magnitude = pow(10, (log10(rawStep)).rounded(.down))
            let step =
                [1.0, 2.0, 5.0, 10.0].map { $0 * magnitude }.first { $0 >= rawStep } ?? 10 * magnitude
            guard step.isFinite, step > 0 else { return (self, [domain.lowerBound, domain.upperBound]) }
            let lower = (domain.lowerBound / step).rounded(.down) * step
            let upper = (domain.upperBound / step).rounded(.up) * step
            let tickCount = Int(((upper - lower) / step).rounded()) + 1
            // Multiplying, not adding, keeps 0.1 + 0.2 drift out of the labels.
            let ticks = (0..<tickCount).map { lower + Double($0) * step }.map { abs($0) < step * 1e-9 ? 0 : $0 }
            return (LinearScale(domain: lower...upper, range: range, isReversed: isReversed), ticks)
        }
    }

    /// A sequential colour scale from pale to dark blue (ColorBrewer's "Blues", 9 classes, its lightest
    /// class dropped so that the smallest value still reads as a cell and not as the page). One hue
    /// whose lightness falls with the value reads in grey and for colour-blind readers alike.
    static func sequentialColor(_ fraction: Double) -> (fill: String, isDark: Bool) {
        let stops: [(Double, Double, Double)] = [
            (0xDE, 0xEB, 0xF7), (0xC6, 0xDB, 0xEF), (0x9E, 0xCA, 0xE1), (0x6B, 0xAE, 0xD6),
            (0x42, 0x92, 0xC6), (0x21, 0x71, 0xB5), (0x08, 0x51, 0x9C), (0x08, 0x30, 0x6B),
        ]
        let t = fraction.isFinite ? min(1, max(0, fraction)) : 0
        let position = t * Double(stops.count - 1)
        let index = min(stops.count - 2, Int(position))
        let within = position - Double(index)
        let (a, b) = (stops[index], stops[index + 1])
        func channel(_ x: Double, _ y: Double) -> Int { Int((x + (y - x) * within).rounded()) }
        let (red, green, blue) = (channel(a.0, b.0), channel(a.1, b.1), channel(a.2, b.2))
        let hex = String(format: "#%02x%02x%02x", red, green, blue)
        // On a cell darker than about the scale's middle, white text has more contrast than black.
        let luminance = (0.2126 * Double(red) + 0.7152 * Double(green) + 0.0722 * Double(blue)) / 255
        return (hex, luminance < 0.55)
    }

    /// The stops ``sequentialColor(_:)`` interpolates, as `<stop>` elements of a legend's gradient.
    static func gradientStops() -> String {
        (0...4).map { step in
            let fraction = Double(step) / 4
            return "<stop offset=\"\(number(fraction * 100))%\" stop-color=\"\(sequentialColor(fraction).fill)\"/>"
        }.joined()
    }
}
