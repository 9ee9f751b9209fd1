using MMInterp.Kernels.Images;
using MMInterp.Kernels.ShapesWorld;
using MMInterp.Kernels.Zoo;
using Xunit;

namespace MMInterp.Kernels.Tests.Zoo;

public class WordFamiliesTests
{
    static readonly ShapesWorldGenerator Worded = new(new ShapesWorldConfig { OverlayRate = 1, AttackRate = 0.5 });

    [Fact]
    public void MembersDifferOnlyInTheWrittenWordAndTheirCaptionsOnlyInThatWord()
    {
        var scenes = WordFamilies.Families(Worded, seed: 5, step: 3, batchSize: 64, families: 4, size: 4).ToList();
        Assert.Equal(16, scenes.Count);
        for (var f = 0; f < 4; f++)
        {
            var members = scenes.Skip(f * 4).Take(4).ToList();
            var head = members[0];
            Assert.Equal(4, members.Select(m => m.Overlay!.Word).Distinct().Count());
            var caption = Captions.Variant(head, 1, mentionWord: true).Split(' ');
            Assert.Contains(Captions.WordPhrase(head.Overlay!.Word), string.Join(' ', caption));
            foreach (var m in members.Skip(1))
            {
                Assert.Equal(head.Objects.AsEnumerable(), m.Objects);
                Assert.Equal(head.Background, m.Background);
                var (hw, mw) = (head.Overlay!, m.Overlay!);
                Assert.Equal((hw.Attribute, hw.ObjectIndex, hw.Y), (mw.Attribute, mw.ObjectIndex, mw.Y));
                Assert.Equal(mw.Value != m.Objects[mw.ObjectIndex].Value(mw.Attribute), mw.IsAttack);
                Assert.InRange(mw.X + BitmapFont.Width(mw.Word), 0, Worded.Config.ImageSize);
                var other = Captions.Variant(m, 1, mentionWord: true).Split(' ');
                Assert.Equal(caption.Length, other.Length);
                Assert.Single(caption.Zip(other), w => w.First != w.Second);
            }
        }
        // Deterministic in (seed, step).
        Assert.Equal(scenes.Select(s => (s.Index, s.Caption, s.Overlay)), WordFamilies.Families(Worded, 5, 3, 64, 4, 4).Select(s => (s.Index, s.Caption, s.Overlay)));
    }

    [Fact]
    public void AWorldWithoutWordsOnEveryImageIsRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => WordFamilies.Families(new ShapesWorldGenerator(), 0, 0, 16, 1, 2).ToList());
        Assert.Contains("word", e.Message);
    }
}
