using System.Xml.Linq;
using Vidiff.Pipelines;

namespace Vidiff.Tests.Pipelines;

public class LossPlotTests
{
    [Fact]
    public void DrawsValidSvgWithRawAndSmoothedCurves()
    {
        var points = Enumerable.Range(0, 200).Select(i => ((long)i * 10, 1.0 / (1 + i) + (i % 2) * 0.001)).ToList();
        var svg = XDocument.Parse(LossPlot.ToSvg(points, "unet <stage>"));
        var lines = svg.Descendants().Where(e => e.Name.LocalName == "polyline").ToList();
        Assert.Equal(2, lines.Count);
        Assert.Equal(200, lines[0].Attribute("points")!.Value.Split(' ').Length);
        Assert.Contains(svg.Descendants(), e => e.Value == "unet <stage>");
        // Log-scale decades from 1e-3 to 1e0 are labelled.
        Assert.Contains(svg.Descendants(), e => e.Value == "1e-3");
        Assert.Contains(svg.Descendants(), e => e.Value == "1e0");
    }

    [Fact]
    public void SkipsNonFiniteLossesAndHandlesEmptyLogs()
    {
        var svg = XDocument.Parse(LossPlot.ToSvg([(0, double.NaN), (1, double.PositiveInfinity)], "empty"));
        Assert.Contains(svg.Descendants(), e => e.Value == "no losses yet");
    }
}
