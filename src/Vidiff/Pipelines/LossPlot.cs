using System.Globalization;
using System.Text;

namespace Vidiff.Pipelines;

/// <summary>
/// A training-loss curve as SVG: log-scale loss against step, the raw losses faint and a running mean bold, with
/// labelled axes. SVG because it needs no drawing library and ffmpeg (librsvg) rasterises it to PNG.
/// </summary>
public static class LossPlot
{
    const int Width = 720, Height = 400, Left = 70, Right = 20, Top = 36, Bottom = 48;

    public static string ToSvg(IReadOnlyList<(long Step, double Loss)> points, string title)
    {
        var finite = points.Where(p => double.IsFinite(p.Loss) && p.Loss > 0).ToList();
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" font-family=\"sans-serif\" font-size=\"12\">");
        svg.Append(CultureInfo.InvariantCulture, $"<rect width=\"{Width}\" height=\"{Height}\" fill=\"white\"/>");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Width / 2}\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">{Escape(title)}</text>");
        if (finite.Count == 0)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Width / 2}\" y=\"{Height / 2}\" text-anchor=\"middle\">no losses yet</text></svg>");
            return svg.ToString();
        }

        long x0 = finite[0].Step, x1 = Math.Max(finite[^1].Step, x0 + 1);
        double y0 = Math.Floor(Math.Log10(finite.Min(p => p.Loss))), y1 = Math.Ceiling(Math.Log10(finite.Max(p => p.Loss)));
        if (y1 <= y0) y1 = y0 + 1;
        double X(long step) => Left + (Width - Left - Right) * (step - x0) / (double)(x1 - x0);
        double Y(double loss) => Top + (Height - Top - Bottom) * (y1 - Math.Log10(loss)) / (y1 - y0);

        for (double decade = y0; decade <= y1; decade++)
        {
            double y = Y(Math.Pow(10, decade));
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left}\" x2=\"{Width - Right}\" y1=\"{y:F1}\" y2=\"{y:F1}\" stroke=\"#ddd\"/>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left - 6}\" y=\"{y + 4:F1}\" text-anchor=\"end\">1e{decade:F0}</text>");
        }
        for (int i = 0; i <= 4; i++)
        {
            long step = x0 + (x1 - x0) * i / 4;
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{X(step):F1}\" y=\"{Height - Bottom + 18}\" text-anchor=\"middle\">{step}</text>");
        }
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{(Left + Width - Right) / 2}\" y=\"{Height - 10}\" text-anchor=\"middle\">step</text>");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"16\" y=\"{(Top + Height - Bottom) / 2}\" text-anchor=\"middle\" transform=\"rotate(-90 16 {(Top + Height - Bottom) / 2})\">loss (log scale)</text>");
        svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{Left}\" y=\"{Top}\" width=\"{Width - Left - Right}\" height=\"{Height - Top - Bottom}\" fill=\"none\" stroke=\"#444\"/>");

        svg.Append(Polyline(finite.Select(p => (X(p.Step), Y(p.Loss))), "#9bb8e0", 1));
        int window = Math.Max(1, finite.Count / 50);
        var smooth = finite.Select((p, i) => (p.Step, Loss: finite.Skip(Math.Max(0, i - window + 1)).Take(Math.Min(window, i + 1)).Average(q => q.Loss)));
        svg.Append(Polyline(smooth.Select(p => (X(p.Step), Y(p.Loss))), "#1f4e9c", 2.5));
        svg.Append("</svg>");
        return svg.ToString();
    }

    static string Polyline(IEnumerable<(double X, double Y)> points, string colour, double width) =>
        $"<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"{width.ToString(CultureInfo.InvariantCulture)}\" points=\"" +
        string.Join(' ', points.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.X:F1},{p.Y:F1}"))) + "\"/>";

    static string Escape(string text) => System.Security.SecurityElement.Escape(text) ?? "";
}
