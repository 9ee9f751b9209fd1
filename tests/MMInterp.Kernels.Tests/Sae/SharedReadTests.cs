using MMInterp.Kernels.Activations;
using MMInterp.Kernels.IO;
using MMInterp.Kernels.Sae;
using MMInterp.Kernels.Sae.Training;
using Xunit;

namespace MMInterp.Kernels.Tests.Sae;

/// <summary>
/// A shared-read run (several SAEs stepped on each batch read once) gives every member exactly what a run of that
/// member alone gives, also when its members resume from checkpoints at different steps, when one is stopped and when
/// one diverges.
/// </summary>
public class SharedReadTests
{
    static readonly SweepMember Relu = new("relu", new SaeConfig { Kind = SaeKind.Relu, DIn = 16, DSae = 48, Seed = 1, NormalizeInput = true },
        new SaeTrainingConfig { Lr = 3e-3, SparsityCoefficient = 0.5, SparsityWarmupSteps = 10, LrDecaySteps = 10,
            DeadFeatures = DeadFeatureStrategy.Resample, ResampleEvery = 15, DeadAfterRows = 256 });
    static readonly SweepMember TopK = new("topk", new SaeConfig { Kind = SaeKind.TopK, DIn = 16, DSae = 48, K = 3, Seed = 2, UnitNormDecoder = true },
        new SaeTrainingConfig { Lr = 3e-3, DeadFeatures = DeadFeatureStrategy.AuxK, DeadAfterRows = 256, AuxK = 8 });
    static readonly SweepMember Jump = new("jump", new SaeConfig { Kind = SaeKind.JumpRelu, DIn = 16, DSae = 48, Seed = 3, JumpReluInitThreshold = 0.05, JumpReluBandwidth = 0.05 },
        new SaeTrainingConfig { Lr = 3e-3, SparsityCoefficient = 0.1 });

    static SweepConfig Sweep(params SweepMember[] members) => new()
    {
        Members = members, BatchSize = 64, TotalSteps = 40, Seed = 7, LogEvery = 5, CheckpointEvery = 10, HistogramEachLog = false,
    };

    static IReadOnlyList<SaeRunResult> Train(PlantedDictionary planted, SweepConfig sweep, string dir, TrainerHooks? hooks = null)
    {
        using var src = new InMemoryActivationSource(planted.Data, seed: 8);
        return SaeTrainer.Run(sweep, src, dir, hooks);
    }

    static void AssertSameWeights(string expectedDir, string actualDir, string member)
    {
        var a = SafeTensors.Load(Path.Combine(expectedDir, member, "checkpoint.safetensors"));
        var b = SafeTensors.Load(Path.Combine(actualDir, member, "checkpoint.safetensors"));
        Assert.Equal(a.Tensors.Keys.OrderBy(k => k), b.Tensors.Keys.OrderBy(k => k));
        foreach (var (k, t) in a.Tensors)
            Assert.True(Bits.Identical(t, b.Tensors[k]), $"{member}: tensor '{k}' differs from the member's own run");
        Assert.Equal(a.Metadata["step"], b.Metadata["step"]);
    }

    [Fact]
    public void EachPackedMemberEqualsItsOwnRun()
    {
        using var planted = new PlantedDictionary(16, 24, 3000, 0.1, seed: 4);
        using var packedDir = new TempDir();
        var packed = Train(planted, Sweep(Relu, TopK, Jump), packedDir.Path);
        foreach (var (member, result) in new[] { Relu, TopK, Jump }.Zip(packed))
        {
            using var aloneDir = new TempDir();
            var alone = Train(planted, Sweep(member), aloneDir.Path).Single();
            Assert.True(result.Completed);
            AssertSameWeights(aloneDir.Path, packedDir.Path, member.Name);
            Assert.Equal(alone.History.Select(h => (h.Step, h.Mse, h.L0, h.Fvu)), result.History.Select(h => (h.Step, h.Mse, h.L0, h.Fvu)));
        }
    }

    [Fact]
    public void MembersResumeEachFromItsOwnCheckpointAtDifferentSteps()
    {
        using var planted = new PlantedDictionary(16, 24, 3000, 0.1, seed: 4);
        using var straightDir = new TempDir();
        Train(planted, Sweep(Relu, TopK, Jump), straightDir.Path);

        // A crash after relu's step-10 and topk's step-20 checkpoints were kept, before jump's first one.
        using var crashedDir = new TempDir();
        using var resumedDir = new TempDir();
        var keep = new Dictionary<string, long> { ["relu"] = 10, ["topk"] = 20 };
        Train(planted, Sweep(Relu, TopK, Jump), crashedDir.Path, new TrainerHooks
        {
            Checkpointed = (name, step, path) =>
            {
                if (keep.GetValueOrDefault(name) != step) return;
                Directory.CreateDirectory(Path.Combine(resumedDir.Path, name));
                File.Copy(path, Path.Combine(resumedDir.Path, name, "checkpoint.safetensors"));
            },
        });
        var steps = new List<(string, long)>();
        var resumed = Train(planted, Sweep(Relu, TopK, Jump), resumedDir.Path, new TrainerHooks { Progress = p => steps.Add((p.Member, p.Step)) });

        Assert.All(resumed, r => Assert.True(r.Completed));
        foreach (var name in new[] { "relu", "topk", "jump" }) AssertSameWeights(straightDir.Path, resumedDir.Path, name);
        // Each member logs only the steps past its own checkpoint: no metric point is written twice.
        Assert.Equal([15, 20, 25, 30, 35, 40], steps.Where(s => s.Item1 == "relu").Select(s => s.Item2));
        Assert.Equal([25, 30, 35, 40], steps.Where(s => s.Item1 == "topk").Select(s => s.Item2));
        Assert.Equal(8, steps.Count(s => s.Item1 == "jump"));
    }

    [Fact]
    public void AStoppedMemberLeavesAndTheOthersFinishAsAlone()
    {
        using var planted = new PlantedDictionary(16, 24, 3000, 0.1, seed: 4);
        using var packedDir = new TempDir();
        long step = 0;
        var results = Train(planted, Sweep(Relu, TopK), packedDir.Path, new TrainerHooks
        {
            Progress = p => step = p.Step,
            MemberStopped = name => name == "relu" && step >= 15,
        });
        Assert.False(results[0].Completed);
        Assert.Equal(15, results[0].Step);
        Assert.Null(results[0].WeightsPath);
        Assert.True(results[1].Completed);
        using var aloneDir = new TempDir();
        Train(planted, Sweep(TopK), aloneDir.Path);
        AssertSameWeights(aloneDir.Path, packedDir.Path, "topk");
    }

    [Fact]
    public void ADivergingMemberFailsAloneWhenFailuresAreIsolated()
    {
        using var planted = new PlantedDictionary(16, 24, 3000, 0.1, seed: 4);
        var wild = Relu with { Name = "wild", Training = Relu.Training with { Lr = 1e30, MaxGradNorm = 0 } };
        var failed = new List<string>();
        using var packedDir = new TempDir();
        var results = Train(planted, Sweep(wild, TopK), packedDir.Path, new TrainerHooks { MemberFailed = (name, _) => failed.Add(name) });
        Assert.Equal(["wild"], failed);
        Assert.False(results[0].Completed);
        Assert.Contains("not finite", results[0].Error);
        Assert.True(results[1].Completed);
        using var aloneDir = new TempDir();
        Train(planted, Sweep(TopK), aloneDir.Path);
        AssertSameWeights(aloneDir.Path, packedDir.Path, "topk");

        // Without the hook a diverging member ends the run, as a run of one does.
        using var strictDir = new TempDir();
        Assert.Throws<NonFiniteTrainingException>(() => Train(planted, Sweep(wild, TopK), strictDir.Path));
    }
}
