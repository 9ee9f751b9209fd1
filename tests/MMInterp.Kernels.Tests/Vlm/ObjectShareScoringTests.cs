using MMInterp.Kernels.Hooks;
using MMInterp.Kernels.Interp.Vlm;
using Xunit;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Tests.Vlm;

/// <summary>Tracing's localisation score against a user's box: on a subject whose answer reads exactly one image token
/// (planted), a box on that token scores an object share of 1 and restoring it gives the clean run back; a box on
/// another token scores 0; a prompt without a box is not scored.</summary>
public class ObjectShareScoringTests
{
    /// <summary>One text token, four image tokens, two text tokens; one block adds image token <c>reads[i]</c> to the
    /// answer position's residual; logits = residual x W. Hooks lm.blocks.0.hook_resid_pre / hook_resid_post.</summary>
    sealed class Planted : IVlmSubject, IDisposable
    {
        readonly HookPoint _pre, _post;
        readonly Tensor _images, _text, _unembed;
        readonly int[] _reads;
        readonly bool[]?[] _boxes;

        public Planted(int[] reads, bool[]?[] boxes)
        {
            (_reads, _boxes) = (reads, boxes);
            Hooks = new HookRegistry();
            _pre = Hooks.Register("lm.blocks.0.hook_resid_pre");
            _post = Hooks.Register("lm.blocks.0.hook_resid_post");
            var g = new TorchSharp.torch.Generator(11);
            _images = randn([reads.Length, 4, 4], generator: g);
            for (var i = 0; i < reads.Length; i++) _images[i, reads[i], 0] = tensor(4f); // the read token points at answer 0
            _text = randn([1, 3, 4], generator: g) * 0.1;
            _unembed = tensor(new float[] { 3, 0, 0, 0, 0, 3, 0, 0, 0, 0, 3, 0, 0, 0, 0, 3 }, [4, 4]);
        }

        public HookRegistry Hooks { get; }
        public int Layers => 1;
        public Device Device => CPU;
        public int Count => _reads.Length;
        public int ImageTokens => 4;
        public int ImageStart(int prompt) => 1;
        public int SequenceLength(int prompt) => 7;
        public int AnswerPosition(int prompt) => 6;
        public long Answer(int prompt) => 0;
        public bool[]? ObjectPatches(int prompt) => _boxes[prompt];
        public Tensor CleanImageTokens(int prompt) => _images.narrow(0, prompt, 1);

        public Tensor Logits(Tensor imageTokens, IReadOnlyList<int> prompts)
        {
            var b = imageTokens.shape[0];
            var x = _pre.Apply(cat([_text.narrow(1, 0, 1).expand(b, 1, 4), imageTokens, _text.narrow(1, 1, 2).expand(b, 2, 4)], 1));
            var read = x[arange(b), tensor(prompts.Select(i => 1L + _reads[i]).ToArray())]; // [B, D]
            var y = cat([x.narrow(1, 0, 6), (x.select(1, 6) + read).unsqueeze(1)], 1);
            return Unembed(_post.Apply(y));
        }

        public Tensor Unembed(Tensor residual) => residual.matmul(_unembed);
        public string TokenText(long id) => $"t{id}";
        public long TokenAt(int prompt, int position) => position;

        public void Dispose()
        {
            _images.Dispose(); _text.Dispose(); _unembed.Dispose();
        }
    }

    static bool[] Box(int patch) => Enumerable.Range(0, 4).Select(j => j == patch).ToArray();

    [Fact]
    public void ABoxOnTheTokenTheAnswerReadsScoresOneAndABoxElsewhereZero()
    {
        using var right = new Planted([2, 1], [Box(2), Box(1)]);
        var r = CausalTracing.Run(right, new TracingOptions { NoiseSamples = 8, Kinds = ["resid"], ControlDraws = 3 });
        Assert.True(r.MeanClean > r.MeanCorrupt + 0.2, $"clean {r.MeanClean} corrupt {r.MeanCorrupt}");
        Assert.Equal(1.0, r.ObjectShare);
        Assert.Equal(0.25, r.ChanceShare);
        Assert.Equal(r.MeanClean, r.RestoreObjectProb, 6); // the answer reads only the boxed token
        Assert.Equal(r.MeanCorrupt, r.RestoreRandomProb, 6); // the others do not matter

        using var wrong = new Planted([2, 1], [Box(0), null]);
        var w = CausalTracing.Run(wrong, new TracingOptions { NoiseSamples = 8, Kinds = ["resid"], ControlDraws = 3 });
        Assert.Equal([true, false], w.Scored);
        Assert.Equal(0.0, w.ObjectShare);
        Assert.Equal(w.CorruptProb[0], w.RestoreObjectProb, 6);
    }
}
