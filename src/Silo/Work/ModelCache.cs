using System.Collections.Concurrent;
using MMInterp.Grains.Contracts;
using MMInterp.Grains.Models;
using MMInterp.Grains.Placement;
using MMInterp.Grains.Registry;
using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.Extraction;
using MMInterp.Kernels.Tensors;

namespace MMInterp.Silo.Work;

/// <summary>
/// Registered models loaded once per silo and device, of any family (CLIP, VLM, diffusion), behind the one extraction
/// interface. Forward passes on one loaded model are serialised by its gate.
/// </summary>
public sealed class ModelCache(ModelDirectories models) : IModelHost
{
    readonly ConcurrentDictionary<(string Model, string Device), Lazy<Task<LoadedModel>>> _models = new();

    public sealed record LoadedModel(string Id, IActivationModel Model, SemaphoreSlim Gate);

    /// <summary>The model on <paramref name="device"/> ("cpu", "cuda:1": a device slot's device).</summary>
    public Task<LoadedModel> GetAsync(string modelId, string device, CancellationToken ct) =>
        _models.GetOrAdd((modelId, device), key => new Lazy<Task<LoadedModel>>(() => LoadAsync(key.Model, key.Device, ct))).Value;

    /// <summary>Loads the model on this silo's first device slot, where a lone shard would run it.</summary>
    public async Task<ModelInfo> DescribeAsync(string modelId, string silo, string device, CancellationToken ct)
    {
        var loaded = await GetAsync(modelId, device, ct);
        return new ModelInfo(modelId, loaded.Model.Family, loaded.Model.HookNames, loaded.Model.ParameterCount, silo, await ShapesAsync(loaded, ct));
    }

    /// <summary>
    /// Each hook's rows for one image, [tokens, width], read from a forward pass on the first ShapesWorld image
    /// (cheaper than keeping per-family shape tables in step with the models). A diffusion key template is read at
    /// t=0.500 on the null caption: every level gives the same shape. Hooks an image does not reach (a CLIP's text
    /// tower) are left out: all hooks are read in one pass when they can be, else one at a time.
    /// </summary>
    static async Task<IReadOnlyDictionary<string, long[]>> ShapesAsync(LoadedModel loaded, CancellationToken ct)
    {
        var keys = loaded.Model.HookNames.ToDictionary(h => h, Concrete);
        await loaded.Gate.WaitAsync(ct);
        try
        {
            return await Task.Run(() =>
            {
                var shapes = Read(loaded.Model, keys.Values.Distinct().ToList());
                if (shapes is null)
                {
                    shapes = new Dictionary<string, long[]>();
                    foreach (var key in keys.Values.Distinct())
                        if (Read(loaded.Model, [key]) is { } one) shapes[key] = one[key];
                }
                return (IReadOnlyDictionary<string, long[]>)keys.Where(k => shapes.ContainsKey(k.Value)).ToDictionary(k => k.Key, k => shapes[k.Value]);
            }, ct);
        }
        finally
        {
            loaded.Gate.Release();
        }
    }

    /// <summary>The shapes of <paramref name="hooks"/> on one image, or null when the model cannot read them from images.</summary>
    static Dictionary<string, long[]>? Read(IActivationModel model, IReadOnlyList<string> hooks)
    {
        using var scope = TorchSharp.torch.NewDisposeScope();
        using var noGrad = TorchSharp.torch.no_grad();
        try
        {
            var rows = model.Extract(seed: 0, start: 0, count: 1, hooks);
            return hooks.ToDictionary(h => h, h => rows[h].shape);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or KeyNotFoundException or FormatException)
        {
            return null;
        }
    }

    static string Concrete(string hook) => hook.IndexOf("@t=T", StringComparison.Ordinal) is var at and >= 0 ? hook[..at] + "@t=0.500" : hook;

    /// <summary>User images are preprocessed as the checkpoint's preprocessor_config.json says (zoo ones have none).</summary>
    static ClipActivationModel ClipWithPreprocessor(Kernels.Models.Clip.ClipModel model, string dir) =>
        new(model, Kernels.Images.ClipImageProcessor.ForCheckpoint(dir, model.Config.Vision.ImageSize));

    /// <summary>A registered HF LLaVA (computed in fp32 on the CPU; bf16/fp16 weights stay in their dtype).</summary>
    static LlavaActivationModel LlavaOnCpu(string dir, TorchSharp.torch.Device device)
    {
        if (device.type != TorchSharp.DeviceType.CPU) throw new ArgumentException($"{dir}: LLaVA checkpoints run on the CPU only, not {device}");
        var loaded = LlavaCheckpoint.Load(dir, new LlavaLoadOptions { LoadTokenizer = false });
        return new LlavaActivationModel(loaded.Model, loaded.ImageProcessor);
    }

    async Task<LoadedModel> LoadAsync(string modelId, string deviceName, CancellationToken ct)
    {
        try
        {
            var device = TorchRuntime.ParseDevice(deviceName);
            var (record, dir) = await models.ResolveAsync(modelId, family: null, ct);
            IActivationModel model = record.Family switch
            {
                ModelFamily.Clip => ClipWithPreprocessor(ClipCheckpoint.Load(dir, device).Model, dir),
                ModelFamily.Vlm when LlavaDirectory.IsLlavaDirectory(dir) => LlavaOnCpu(dir, device),
                ModelFamily.Vlm => new VlmActivationModel(VlmCheckpoint.Load(dir, device).Model),
                ModelFamily.Diffusion => new DiffusionActivationModel(ZooDenoiserCheckpoint.Load(dir, device, models.Oracles)),
                _ => throw new ArgumentException($"model '{modelId}' is a {RegistryNames.Name(record.Family)} model; extraction serves clip, vlm and diffusion models"),
            };
            return new LoadedModel(modelId, model, new SemaphoreSlim(1, 1));
        }
        catch
        {
            _models.TryRemove((modelId, deviceName), out _); // let the next call retry
            throw;
        }
    }
}
