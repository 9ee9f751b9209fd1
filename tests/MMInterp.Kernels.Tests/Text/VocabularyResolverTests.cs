using MMInterp.Kernels.Datasets;
using MMInterp.Kernels.Images;
using MMInterp.Kernels.Interp.Features;
using MMInterp.Kernels.Text;
using Xunit;

namespace MMInterp.Kernels.Tests.Text;

/// <summary>--vocab FILE, --template / --templates and the built-in vocabularies: every rule, every refusal.</summary>
public sealed class VocabularyResolverTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("mminterp-vocab-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>An in-memory labelled dataset: the interface's contract with two classes and no pixels to decode.</summary>
    sealed class Folder(string name, IReadOnlyList<string> labels) : IImageDataset
    {
        public string Name => name;
        public IReadOnlyList<ImageItem> Items { get; } = [new(0, "a/1.png", null, 0)];
        public IReadOnlyList<string> LabelNames => labels;
        public RgbImage Decode(int index) => new(1, 1, [0, 0, 0]);
    }

    [Fact]
    public void AFileGivesOneConceptPerLineSkippingBlanksAndComments()
    {
        var path = Write("concepts.txt", "# animals\n  dog  \n\ncat\n   # indented comment\ngolden retriever\r\n");
        var v = VocabularyResolver.Resolve(new VocabularyRequest(path))!;
        Assert.Equal(["dog", "cat", "golden retriever"], v.Concepts);
        Assert.Equal(Vocabulary.DefaultTemplates, v.Templates);
        Assert.Equal(path, v.Name);
        Assert.Equal(["a photo of a dog."], v.Prompts("dog"));
    }

    [Fact]
    public void RepeatedAndEmptyFilesAreRefusedNamingTheFileAndLine()
    {
        var dup = Write("dup.txt", "dog\ncat\n# c\ndog\n");
        var e = Assert.Throws<InvalidDataException>(() => VocabularyResolver.Resolve(new VocabularyRequest(dup)));
        Assert.Equal($"{dup}:4: concept 'dog' repeats line 1", e.Message);

        var empty = Write("empty.txt", "# nothing here\n\n   \n");
        e = Assert.Throws<InvalidDataException>(() => VocabularyResolver.Resolve(new VocabularyRequest(empty)));
        Assert.Equal($"{empty}: no concepts (only blank lines and # comments)", e.Message);

        var zero = Write("zero.txt", "");
        e = Assert.Throws<InvalidDataException>(() => VocabularyResolver.Resolve(new VocabularyRequest(zero)));
        Assert.StartsWith($"{zero}: no concepts", e.Message);

        var missing = Path.Combine(_dir, "missing.txt");
        var f = Assert.Throws<FileNotFoundException>(() => VocabularyResolver.Resolve(new VocabularyRequest(missing)));
        Assert.Equal($"{missing}: no such file", f.Message);
    }

    [Fact]
    public void TemplatesComeFromTheOptionThenTheFile()
    {
        var concepts = Write("c.txt", "dog\n");
        var templates = Write("t.txt", "# CLIP-style\nitap of a {}.\n\na photo of the small {}.\n");
        var v = VocabularyResolver.Resolve(new VocabularyRequest(concepts, ["a photo of a {}.", "a sketch of a {}."], templates))!;
        Assert.Equal(["a photo of a {}.", "a sketch of a {}.", "itap of a {}.", "a photo of the small {}."], v.Templates);
        Assert.Equal(["a photo of a dog.", "a sketch of a dog.", "itap of a dog.", "a photo of the small dog."], v.Prompts("dog"));
        Assert.Equal(["itap of a {}.", "a photo of the small {}."], VocabularyResolver.Resolve(new VocabularyRequest(concepts, [], templates))!.Templates);
    }

    [Fact]
    public void BadTemplatesAreRefused()
    {
        var concepts = Write("c.txt", "dog\n");
        var noSlot = Write("noslot.txt", "a photo of a {}.\n\na photo\n");
        var e = Assert.Throws<InvalidDataException>(() => VocabularyResolver.Resolve(new VocabularyRequest(concepts, null, noSlot)));
        Assert.Equal($"{noSlot}:3: template 'a photo' has no '{{}}' where the concept goes", e.Message);

        var dup = Write("dup.txt", "a {}.\nthe {}.\na {}.\n");
        e = Assert.Throws<InvalidDataException>(() => VocabularyResolver.Resolve(new VocabularyRequest(concepts, null, dup)));
        Assert.Equal($"{dup}:3: template 'a {{}}.' repeats line 1", e.Message);

        var none = Write("none.txt", "# only a comment\n");
        e = Assert.Throws<InvalidDataException>(() => VocabularyResolver.Resolve(new VocabularyRequest(concepts, null, none)));
        Assert.Equal($"{none}: no templates (only blank lines and # comments)", e.Message);

        var a = Assert.Throws<ArgumentException>(() => VocabularyResolver.Resolve(new VocabularyRequest(concepts, ["a photo"])));
        Assert.Equal("--template 'a photo' has no '{}' where the concept goes", a.Message);
        var one = Write("one.txt", "a {}.\n");
        a = Assert.Throws<ArgumentException>(() => VocabularyResolver.Resolve(new VocabularyRequest(concepts, ["a {}."], one)));
        Assert.Equal("template 'a {}.' is given twice", a.Message);
        a = Assert.Throws<ArgumentException>(() => VocabularyResolver.Resolve(new VocabularyRequest(null, ["a {}."])));
        Assert.StartsWith("--template/--templates need --vocab", a.Message);
    }

    [Fact]
    public void NothingAskedGivesNullSoTheCommandKeepsItsDefault() =>
        Assert.Null(VocabularyResolver.Resolve(new VocabularyRequest(null, [])));

    [Fact]
    public void ShapesIsTheConceptListTheFreeLabellerUsesVerbatim()
    {
        var v = VocabularyResolver.Resolve(new VocabularyRequest("shapes"))!;
        Assert.Equal(ConceptSet.CaptionVocabulary, v.Concepts);
        Assert.Equal(["{}"], v.Templates);
        Assert.All(v.Concepts, c => Assert.Equal([c], v.Prompts(c)));
        Assert.Contains("a photo of a red object", v.Concepts);
        var e = Assert.Throws<ArgumentException>(() => VocabularyResolver.Resolve(new VocabularyRequest("shapes", ["a {}."])));
        Assert.Contains("complete prompts", e.Message);
        // A file that happens to be named like a built-in is read with a path.
        var file = Write("shapes", "hexagon\n");
        Assert.Equal(["hexagon"], VocabularyResolver.Resolve(new VocabularyRequest(file))!.Concepts);
    }

    [Fact]
    public void ImageNetHasTheClassNamesAndOpenAisEightyTemplates()
    {
        var v = VocabularyResolver.Resolve(new VocabularyRequest("imagenet"))!;
        Assert.Equal(998, v.Concepts.Count); // 1000 classes, two names listed twice
        Assert.Equal(["tench", "goldfish", "great white shark"], v.Concepts.Take(3));
        Assert.Equal("toilet paper", v.Concepts[^1]);
        Assert.Single(v.Concepts, "missile");
        Assert.Equal(80, v.Templates.Count);
        Assert.Equal("a bad photo of a {}.", v.Templates[0]);
        Assert.Equal("a tattoo of the {}.", v.Templates[^1]);
        Assert.Equal(80, v.Templates.Distinct().Count());
        Assert.Equal(["a {}."], VocabularyResolver.Resolve(new VocabularyRequest("imagenet", ["a {}."]))!.Templates);
    }

    [Fact]
    public void DatasetTakesTheDatasetsClassNames()
    {
        var v = VocabularyResolver.Resolve(new VocabularyRequest("dataset", ["a photo of a {}, a pet."]), new Folder("pets", ["cat", "dog"]))!;
        Assert.Equal(["cat", "dog"], v.Concepts);
        Assert.Equal("dataset:pets", v.Name);
        Assert.Equal(["a photo of a dog, a pet."], v.Prompts("dog"));
        Assert.Equal(Vocabulary.DefaultTemplates, VocabularyResolver.Resolve(new VocabularyRequest("dataset"), new Folder("pets", ["cat", "dog"]))!.Templates);
        var e = Assert.Throws<ArgumentException>(() => VocabularyResolver.Resolve(new VocabularyRequest("dataset"), new Folder("loose", [])));
        Assert.Equal("dataset 'loose' has no class names; the 'dataset' vocabulary needs a labelled dataset (e.g. imagefolder:DIR)", e.Message);
        e = Assert.Throws<ArgumentException>(() => VocabularyResolver.Resolve(new VocabularyRequest("dataset")));
        Assert.Contains("this command has none", e.Message);
    }
}
