using System.Globalization;
using System.Text;

namespace NotifyPush.Bench.Reporting;

/// <summary>A small dependency-free SVG line chart: panels in a two-column grid, linear axes with round ticks.</summary>
internal static class SvgChart
{
    private const int PanelWidth = 460;
    private const int PanelHeight = 300;
    private const int Left = 64;
    private const int Right = 32;
    private const int Top = 36;
    private const int Bottom = 48;

    internal sealed record Series(string Name, string Color, (double X, double Y)[] Points);

    internal sealed record Panel(string Title, string XLabel, string YLabel, Series[] Series, bool LogX = false);

    public static string Render(IReadOnlyList<Panel> panels)
    {
        var columns = Math.Min(2, panels.Count);
        var rows = (panels.Count + columns - 1) / columns;
        var svg = new StringBuilder();
        svg.Append(Invariant($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{columns * PanelWidth}\" height=\"{rows * PanelHeight}\" font-family=\"sans-serif\" font-size=\"11\">\n"));
        svg.Append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        for (var i = 0; i < panels.Count; i++)
        {
            RenderPanel(svg, panels[i], (i % columns) * PanelWidth, (i / columns) * PanelHeight);
        }

        svg.Append("</svg>\n");
        return svg.ToString();
    }

    private static void RenderPanel(StringBuilder svg, Panel panel, int originX, int originY)
    {
        var points = panel.Series.SelectMany(s => s.Points).ToArray();
        Func<double, double> fx = panel.LogX ? x => Math.Log10(Math.Max(x, 1e-9)) : x => x;
        var xMin = panel.LogX ? points.Min(p => fx(p.X)) : Math.Min(0, points.Min(p => p.X));
        var xMax = points.Max(p => fx(p.X));
        var yMax = NiceCeiling(points.Max(p => p.Y) * 1.1);
        if (xMax <= xMin)
        {
            xMax = xMin + 1;
        }

        var width = PanelWidth - Left - Right;
        var height = PanelHeight - Top - Bottom;
        double X(double x) => originX + Left + ((fx(x) - xMin) / (xMax - xMin) * width);
        double Y(double y) => originY + Top + height - (y / yMax * height);

        svg.Append(Invariant($"<text x=\"{originX + (PanelWidth / 2)}\" y=\"{originY + 20}\" text-anchor=\"middle\" font-size=\"13\" font-weight=\"bold\">{Escape(panel.Title)}</text>\n"));
        svg.Append(Invariant($"<line x1=\"{originX + Left}\" y1=\"{originY + Top + height}\" x2=\"{originX + Left + width}\" y2=\"{originY + Top + height}\" stroke=\"black\"/>\n"));
        svg.Append(Invariant($"<line x1=\"{originX + Left}\" y1=\"{originY + Top}\" x2=\"{originX + Left}\" y2=\"{originY + Top + height}\" stroke=\"black\"/>\n"));
        for (var i = 0; i <= 4; i++)
        {
            var value = yMax * i / 4;
            var y = Y(value);
            svg.Append(Invariant($"<line x1=\"{originX + Left}\" y1=\"{y:F1}\" x2=\"{originX + Left + width}\" y2=\"{y:F1}\" stroke=\"#ddd\"/>\n"));
            svg.Append(Invariant($"<text x=\"{originX + Left - 6}\" y=\"{y + 4:F1}\" text-anchor=\"end\">{Format(value)}</text>\n"));
        }

        foreach (var x in points.Select(p => p.X).Distinct().Order())
        {
            svg.Append(Invariant($"<text x=\"{X(x):F1}\" y=\"{originY + Top + height + 16}\" text-anchor=\"middle\">{Format(x)}</text>\n"));
        }

        svg.Append(Invariant($"<text x=\"{originX + Left + (width / 2)}\" y=\"{originY + PanelHeight - 12}\" text-anchor=\"middle\">{Escape(panel.XLabel)}</text>\n"));
        svg.Append(Invariant($"<text x=\"{originX + 14}\" y=\"{originY + Top + (height / 2)}\" text-anchor=\"middle\" transform=\"rotate(-90 {originX + 14} {originY + Top + (height / 2)})\">{Escape(panel.YLabel)}</text>\n"));

        var legendY = originY + Top + 4;
        foreach (var series in panel.Series)
        {
            var path = string.Join(" ", series.Points.OrderBy(p => p.X).Select((p, i) => Invariant($"{(i == 0 ? "M" : "L")}{X(p.X):F1},{Y(p.Y):F1}")));
            svg.Append(Invariant($"<path d=\"{path}\" fill=\"none\" stroke=\"{series.Color}\" stroke-width=\"2\"/>\n"));
            foreach (var (x, y) in series.Points)
            {
                svg.Append(Invariant($"<circle cx=\"{X(x):F1}\" cy=\"{Y(y):F1}\" r=\"3\" fill=\"{series.Color}\"><title>{Format(x)}: {Format(y)}</title></circle>\n"));
            }

            svg.Append(Invariant($"<rect x=\"{originX + Left + 10}\" y=\"{legendY}\" width=\"10\" height=\"10\" fill=\"{series.Color}\"/>\n"));
            svg.Append(Invariant($"<text x=\"{originX + Left + 24}\" y=\"{legendY + 9}\">{Escape(series.Name)}</text>\n"));
            legendY += 14;
        }
    }

    private static double NiceCeiling(double value)
    {
        if (value <= 0)
        {
            return 1;
        }

        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(value)));
        foreach (var step in new[] { 1, 2, 2.5, 5, 10 })
        {
            if (step * magnitude >= value)
            {
                return step * magnitude;
            }
        }

        return 10 * magnitude;
    }

    private static string Format(double value) =>
        value >= 100 || value == Math.Floor(value) ? value.ToString("#,0", CultureInfo.InvariantCulture) : value.ToString("0.##", CultureInfo.InvariantCulture);

    private static string Escape(string text) => text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
