import AampeCore

/// `report diversity`: new items viewed by treated users against control users over the same days (the
/// diversity measure CleverTap describes for recommendation campaigns), and the catalog coverage of
/// what the messages named.
public enum DiversityReport {
    public static func section(_ data: ReportData) -> ReportSection {
        let weeks = data.period.weeks
        let preWeeks = Double(Limits.reportPrePeriodDays) / 7
        var estimator = LiftEstimator()
        for (user, arm) in data.arms.enumerated() where arm != .outside && data.diversitySample[user] {
            let y = Double(data.newItemsViewed[user]) / weeks
            let x2 = Double(data.activity.activeDays(user: user, in: 0..<Limits.reportPrePeriodDays)) / preWeeks
            if arm == .treated {
                estimator.treated.add(y: y, x1: 0, x2: x2)
            } else {
                estimator.control.add(y: y, x1: 0, x2: x2)
            }
        }
        let estimate = estimator.estimate()
        let head = estimate.headline
        var table = ReportTable(
            name: "new_items",
            title: "Items viewed for the first time, per user per week",
            columns: [
                "treated users", "control users", "treated mean", "control mean", "difference", "95% low", "95% high",
                "relative", "relative low", "relative high",
            ]
        )
        table.rows.append([
            .integer(estimate.treatedUsers), .integer(estimate.controlUsers), .measured(estimate.treatedMean),
            .measured(estimate.controlMean), .measured(head?.estimate), .measured(head?.lower), .measured(head?.upper),
            .measured(estimate.relative), .measured(estimate.relativeLower), .measured(estimate.relativeUpper),
        ])
        let d = data.decisions
        var named = Set<UInt32>()
        var messagesWithItems = 0
        for row in 0..<d.count where d.mode[row].isMessage && d.status[row] == .delivered && d.items[row] >= 0 {
            messagesWithItems += 1
            named.formUnion(d.itemLists[Int(d.items[row])].lazy.filter { $0 != ReportData.unknownItem })
        }
        var coverage = ReportTable(
            name: "coverage",
            title: "Catalog coverage of the items delivered messages named",
            columns: ["messages naming items", "distinct items named", "items known", "coverage"]
        )
        coverage.rows.append([
            .integer(messagesWithItems), .integer(named.count), .integer(data.itemIDs.count),
            .measured(data.itemIDs.isEmpty ? nil : Double(named.count) / Double(data.itemIDs.count)),
        ])
        return ReportSection(
            kind: ReportKind.diversity.rawValue,
            title: "Diversity",
            notes: [
                "A new item is one the user viewed in the period and never before in the imported events. View events: \(data.viewEventNames.isEmpty ? "none found" : data.viewEventNames.joined(separator: ", ")).",
                "Treated against control over the same days, per user per week, with a 95 % Welch interval (CUPED on pre-period active days). Past \(Limits.maximumDiversityUsers) experiment users, a uniform sample of that many (a hash of the user, the same on both sides) is counted.",
            ],
            tables: [table, coverage]
        )
    }
}
