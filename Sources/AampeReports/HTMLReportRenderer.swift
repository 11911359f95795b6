// TEMPORARY placeholder until the HTML renderer lands; never committed.
public enum HTMLReportRenderer {
    public static func render(_ document: ReportDocument) -> String { "<!doctype html><title>x</title>" }
}
