using MMInterp.Kernels.Images;
using MMInterp.Kernels.Interp.Vlm;
using Xunit;

namespace MMInterp.Kernels.Tests.Vlm;

/// <summary>A user's VLM JSONL: every problem is one line naming the file, the line and what is wrong.</summary>
public class VlmUserDataTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("mminterp-vlm-jsonl-").FullName;

    public VlmUserDataTests()
    {
        using var bitmap = Kernels.Interp.DataStudy.RgbBitmaps.ToBitmap(new RgbImage(20, 10, new byte[20 * 10 * 3]));
        using var png = bitmap.Encode(SkiaSharp.SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(Path.Combine(_dir, "x.png"), png.ToArray());
        File.WriteAllText(Path.Combine(_dir, "broken.png"), "not a png");
    }

    public void Dispose() => Directory.Delete(_dir, true);

    string Write(params string[] lines)
    {
        var path = Path.Combine(_dir, "d.jsonl");
        File.WriteAllLines(path, lines);
        return path;
    }

    [Theory]
    [InlineData("{\"image\": \"x.png\", \"question\": \"q?\", \"answer\": \"a\"", "line 2: bad JSON")]
    [InlineData("""{"image": "nope.png", "question": "q?", "answer": "a"}""", "line 2: image 'nope.png' not found")]
    [InlineData("""{"image": "broken.png", "question": "q?", "answer": "a"}""", "line 2: cannot read image 'broken.png'")]
    [InlineData("""{"image": "x.png", "question": "q?", "answer": "  "}""", "line 2: 'answer' is missing or empty")]
    [InlineData("""{"image": "x.png", "question": "q?"}""", "line 2: 'answer' is missing or empty")]
    [InlineData("""{"image": "x.png", "question": "q?", "answer": "a", "box": [0, 0, 21, 5]}""", "line 2: box [0, 0, 21, 5] is not inside the 20x10 image")]
    [InlineData("""{"image": "x.png", "question": "q?", "answer": "a", "box": [5, 0, 2, 5]}""", "line 2: box [5, 0, 2, 5] is not inside")]
    [InlineData("""{"image": "x.png", "question": "q?", "answer": "a", "box": [0, 0, 5]}""", "line 2: 'box' must be [x0, y0, x1, y1]")]
    [InlineData("""{"image": "x.png", "question": "q?", "answer": "a", "mask": "nope.png"}""", "line 2: image 'nope.png' not found")]
    [InlineData("""{"image": "x.png", "question": "q?", "answer": "a", "mask": "x.png"}""", "line 2: mask 'x.png' marks no pixel")]
    [InlineData("""{"image": "x.png", "question": "q?", "answer": "a", "colour": "red"}""", "line 2: unknown field(s) colour")]
    [InlineData("""[1, 2]""", "line 2: expected a JSON object")]
    [InlineData("""{"image": "../x.png", "question": "q?", "answer": "a"}""", "line 2: '../x.png' is not a path inside the JSONL's folder")]
    public void ABadLineIsOneLineNamingItsLineAndProblem(string bad, string expected)
    {
        var path = Write("""{"image": "x.png", "question": "q?", "answer": "a", "box": [0, 0, 20, 10]}""", bad);
        var e = Assert.Throws<ArgumentException>(() => VlmUserData.Load(path));
        Assert.Contains(expected, e.Message);
        Assert.StartsWith(path, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void AMissingOrEmptyFileIsRefused()
    {
        Assert.Contains("data file not found", Assert.Throws<ArgumentException>(() => VlmUserData.Load(Path.Combine(_dir, "none.jsonl"))).Message);
        Assert.Contains("no examples", Assert.Throws<ArgumentException>(() => VlmUserData.Load(Write("", "  "))).Message);
    }

    [Fact]
    public void GoodLinesLoadWithPathsRelativeToTheFile()
    {
        var items = VlmUserData.Load(Write("""{"image": "x.png", "question": "What?", "answer": " red ", "box": [1, 2, 3, 4]}""", "",
            """{"image": "x.png", "question": "Which?", "answer": "blue"}"""));
        Assert.Equal(2, items.Count);
        Assert.Equal((1, "red", 20, 10), (items[0].Line, items[0].Answer, items[0].Image.Width, items[0].Image.Height));
        Assert.Equal([1.0, 2, 3, 4], items[0].Box!);
        Assert.Equal(3, items[1].Line);
        Assert.Null(items[1].Box);
    }
}
