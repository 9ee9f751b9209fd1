using MMInterp.Kernels.Text;
using MMInterp.Kernels.Zoo;
using Xunit;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Tests.Clip;

public class ClipBpeTokenizerTests
{
    // A hand-made vocabulary in HF's layout: single symbols, end-of-word symbols, merge results, then the markers.
    const string Vocab = """
        {"!":0,"a":1,"c":2,"d":3,"e":4,"i":5,"l":6,"r":7,"!</w>":8,"a</w>":9,"d</w>":10,"e</w>":11,
         "re":12,"red</w>":13,"ci":14,"le</w>":15,"cir":16,"<|startoftext|>":17,"<|endoftext|>":18}
        """;
    const string Merges = "#version: 0.2\nr e\nre d</w>\nc i\nl e</w>\nci r\n";

    static ClipBpeTokenizer HandMade()
    {
        var dir = Directory.CreateTempSubdirectory("mminterp-bpe-").FullName;
        File.WriteAllText(Path.Combine(dir, "vocab.json"), Vocab);
        File.WriteAllText(Path.Combine(dir, "merges.txt"), Merges);
        return ClipBpeTokenizer.FromFiles(Path.Combine(dir, "vocab.json"), Path.Combine(dir, "merges.txt"));
    }

    [Fact]
    public void EncodesByRankedMergesWithEndOfWordMarkers()
    {
        var t = HandMade();
        // "a" -> a</w>; "red" -> r e d</w> -> re d</w> -> red</w>;
        // "circle" -> c i r c l e</w> -> ci r c l e</w> -> ci r c le</w> -> cir c le</w>; "!" -> !</w>.
        Assert.Equal(new[] { 17, 9, 13, 16, 2, 15, 8, 18 }, t.Encode("A  Red\tcircle!"));
        Assert.Equal(new[] { 17, 13, 18 }, t.Encode("RED"));
        Assert.Equal("a red circle !", t.Decode(t.Encode("a red circle!")));
    }

    [Fact]
    public void BatchesArePaddedWithEndOfTextAndCutKeepingTheEnd()
    {
        var t = HandMade();
        using var ids = t.EncodeBatch(["red", "a red circle!"], 6);
        Assert.Equal(new long[] { 17, 13, 18, 18, 18, 18, 17, 9, 13, 16, 2, 18 }, ids.data<long>().ToArray());
    }

    [Fact]
    public void MalformedMergesNameTheFileAndLine()
    {
        var dir = Directory.CreateTempSubdirectory("mminterp-bpe-").FullName;
        File.WriteAllText(Path.Combine(dir, "vocab.json"), Vocab);
        File.WriteAllText(Path.Combine(dir, "merges.txt"), "#version: 0.2\nr e\nbroken\n");
        var e = Assert.Throws<InvalidDataException>(() => ClipBpeTokenizer.FromFiles(Path.Combine(dir, "vocab.json"), Path.Combine(dir, "merges.txt")));
        Assert.Contains("merges.txt:3", e.Message);
    }

    [Fact]
    public void ShapesVocabularyMakesEveryWordOneTokenAndRoundTripsThroughFiles()
    {
        var t = ShapesVocabulary.Build();
        foreach (var word in ShapesVocabulary.Words())
            Assert.Equal(3, t.Encode(word).Length);
        Assert.Equal(t.VocabSize - 1, t.EndId); // EOS last, as in CLIP's vocabulary
        var dir = Directory.CreateTempSubdirectory("mminterp-bpe-").FullName;
        t.Save(dir);
        var loaded = ClipBpeTokenizer.FromFiles(Path.Combine(dir, "vocab.json"), Path.Combine(dir, "merges.txt"));
        const string caption = "a large red striped circle in the upper left and a small blue solid square in the lower right";
        Assert.Equal(t.Encode(caption), loaded.Encode(caption));
        Assert.Equal(caption, loaded.Decode(loaded.Encode(caption)));
    }
}
