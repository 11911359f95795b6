/// The HTML report's style sheet, inlined in every page.
///
/// Mobile first: the page is one column that fills a phone's width and stops growing at a comfortable
/// reading width on a desktop. Nothing in it may be wider than the screen: long unbroken words (an
/// item's name, a URL in a note) wrap anywhere, charts scale down, and tables scroll inside their box.
/// System fonts only: the page loads nothing.
enum HTMLReportStyle {
    static let css = """
        *, *::before, *::after { box-sizing: border-box; }
        html { -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }
        body { margin: 0 auto; padding: 12px; max-width: 960px; color: #1a1a1a; background: #ffffff;
          font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
          overflow-wrap: anywhere; }
        h1 { font-size: 1.5rem; margin: 0.2em 0 0.4em; }
        h2 { font-size: 1.25rem; margin: 1.6em 0 0.5em; padding-bottom: 0.2em; border-bottom: 1px solid #d0d7de; }
        h3 { font-size: 1rem; margin: 1.2em 0 0.4em; }
        nav h2 { font-size: 1rem; border: 0; margin: 1em 0 0.3em; }
        nav ol { margin: 0; padding-left: 1.4em; }
        a { color: #0b5cad; }
        dl.meta { margin: 0; display: flex; flex-wrap: wrap; gap: 0.2em 1.5em; color: #444; }
        dl.meta div { display: flex; gap: 0.4em; }
        dl.meta dt { font-weight: 600; white-space: nowrap; }
        dl.meta dd { margin: 0; }
        p.note { margin: 0.4em 0; color: #333; }
        p.cut, p.empty { color: #666; font-style: italic; margin: 0.3em 0; }
        figure { margin: 1em 0; max-width: 640px; }
        figcaption { font-weight: 600; margin-bottom: 0.3em; }
        svg.chart { display: block; width: 100%; height: auto; max-width: 100%; overflow: hidden; }
        svg.chart text { fill: #333333; font-family: inherit; }
        svg.chart text.on-dark { fill: #ffffff; }
        svg.chart .grid { stroke: #e4e8ec; stroke-width: 1; }
        svg.chart .axis { stroke: #888888; stroke-width: 1; }
        svg.chart .zero { stroke: #555555; stroke-width: 1; stroke-dasharray: 4 3; }
        svg.chart .band-wide { fill: #9ecae1; fill-opacity: 0.35; stroke: none; }
        svg.chart .band-narrow { fill: #3182bd; fill-opacity: 0.4; stroke: none; }
        svg.chart .estimate { fill: none; stroke: #08306b; stroke-width: 2; }
        svg.chart .estimate-point { fill: #08306b; }
        svg.chart .whisker { stroke: #3182bd; stroke-width: 2; }
        svg.chart .stripe { fill: #f5f7f9; }
        svg.chart .bar { fill: #4292c6; }
        svg.chart .cell { stroke: #ffffff; stroke-width: 1; }
        svg.chart .panel-title { font-weight: 600; }
        svg.chart .chart-empty { fill: #666666; font-style: italic; }
        .table-wrap { overflow-x: auto; max-width: 100%; margin: 0.3em 0; -webkit-overflow-scrolling: touch; }
        table { border-collapse: collapse; font-size: 0.9rem; }
        th, td { padding: 0.3em 0.6em; border-bottom: 1px solid #e4e8ec; text-align: left; vertical-align: top; }
        th { background: #f5f7f9; font-weight: 600; white-space: nowrap; }
        td { overflow-wrap: normal; }
        .num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
        td.missing { color: #999999; }
        @media (min-width: 700px) { body { padding: 24px; } }

        """
}
