using MMInterp.Grains.Registry;
using MMInterp.Kernels.Artefacts;
using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.Models.Clip;
using MMInterp.Kernels.ShapesWorld;
using MMInterp.Kernels.Zoo;
using MMInterp.Silo.Work;
using TorchSharp;

namespace MMInterp.Bench;

/// <summary>Models the cluster benchmarks run on.</summary>
static class BenchModels
{
    /// <summary>Registers the zoo's tiny CLIP architecture with random weights (seed 0) as <paramref name="id"/>: a forward
    /// pass costs what a trained one does, and no training precedes the benchmark.</summary>
    public static async Task RegisterTinyClipAsync(string connectionString, string home, string id)
    {
        await using var registry = RegistryStore.Create(connectionString);
        torch.manual_seed(0);
        var tokenizer = ShapesVocabulary.Build();
        var dir = Path.Combine(home, "model");
        using (var model = new ClipModel(ClipZooConfig.Default.ModelConfig(tokenizer.VocabSize, tokenizer.EndId, tokenizer.StartId)))
            ClipCheckpoint.Save(model, tokenizer, dir);
        await ModelRegistration.RegisterDirectoryAsync(new ArtefactStore(Path.Combine(home, "artefacts")), registry, id,
            "tiny clip (random, zoo size)", ModelFamily.Clip, dir, "{}");
    }
}
