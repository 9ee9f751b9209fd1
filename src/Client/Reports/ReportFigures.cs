namespace MMInterp.Client.Reports;

/// <summary>An experiment's figures in report.html, as every other surface shows them (<see cref="FigureLayout"/>): each
/// group with the picture that draws it, then all other figures, then the pictures no group drew.</summary>
public static class ReportFigures
{
    /// <param name="imageFiles">Picture name -> file written next to the report.</param>
    /// <param name="caption">A picture's caption by its name (null: the group's title, or the name).</param>
    public static HtmlReport Add(HtmlReport html, FigureLayout layout, IReadOnlyDictionary<string, string> imageFiles, string outDir,
        Func<string, string?>? caption = null)
    {
        var drawn = new HashSet<string>();
        foreach (var g in layout.Groups)
        {
            html.FigureGroup(g);
            if (g.Group.Picture is { } picture && imageFiles.TryGetValue(picture, out var path) && drawn.Add(picture))
                html.Image(Path.GetRelativePath(outDir, path), caption?.Invoke(picture) ?? g.Group.Title);
        }
        if (layout.Rest.Count > 0)
            html.Subheading(FigureLayout.AllFiguresTitle).Figures(layout.Rest.Select(f => (f.Name, f.Number, "")));
        foreach (var (name, path) in imageFiles.Where(i => !drawn.Contains(i.Key)))
            html.Image(Path.GetRelativePath(outDir, path), caption?.Invoke(name) ?? name);
        return html;
    }
}
