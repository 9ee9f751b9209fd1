using MMInterp.Kernels.Activations;
using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.Images;
using MMInterp.Kernels.IO;
using MMInterp.Kernels.Sae;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Tests.Fuzz;

/// <summary>
/// Hostile input for the readers of checkpoints, safetensors files, configs and images (fixed seeds, bounded counts):
/// each case either loads or throws the reader's own exception with a one-line message. Anything else (another
/// exception type, a multi-line message, an out-of-memory, a native crash that takes the test host down, or a hang past
/// the deadline) fails, naming the case so it can be replayed.
/// </summary>
public sealed class ReaderFuzzTests : IDisposable
{
    const int Cases = 1000;
    static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    readonly string Dir = Directory.CreateTempSubdirectory("mminterp-fuzz-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { }
    }

    /// <summary>Runs every case on a worker with a deadline; collects the cases that broke the contract.</summary>
    static void Run(string reader, int seed, Func<HostileInputs, int, Action> makeCase, params Type[] expected)
    {
        var failures = new List<string>();
        var current = -1;
        var worker = Task.Run(() =>
        {
            var gen = new HostileInputs(seed);
            for (var i = 0; i < Cases; i++)
            {
                current = i;
                var action = makeCase(gen, i);
                try
                {
                    using var scope = NewDisposeScope();
                    action();
                }
                catch (Exception e) when (expected.Any(t => t.IsInstanceOfType(e)))
                {
                    if (string.IsNullOrWhiteSpace(e.Message) || e.Message.Contains('\n') || e.Message.Contains("   at "))
                        failures.Add($"{reader} seed {seed} case {i}: {e.GetType().Name} message is not one line: {e.Message}");
                }
                catch (Exception e)
                {
                    failures.Add($"{reader} seed {seed} case {i}: {e.GetType().FullName}: {e.Message.Split('\n')[0]}");
                }
            }
        });
        Assert.True(worker.Wait(Deadline), $"{reader}: case {current} of seed {seed} did not finish within {Deadline.TotalSeconds} s (a hang)");
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(20)));
    }

    string Write(string name, byte[] bytes)
    {
        var path = Path.Combine(Dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Fact]
    public void SafeTensorsFilesLoadOrAreRefusedInOneLine() =>
        Run("safetensors", 1701, (gen, i) =>
        {
            var path = Write($"st-{i}.safetensors", gen.SafeTensorsFile());
            return () =>
            {
                var (tensors, _) = SafeTensors.Load(path);
                foreach (var t in tensors.Values) t.Dispose();
            };
        }, typeof(InvalidDataException));

    [Fact]
    public void WeightsStreamedIntoAModelLoadOrAreRefusedInOneLine() =>
        Run("streaming weights", 1702, (gen, i) =>
        {
            // A Linear(2, 2)'s keys, so the dtype-class, shape, finiteness and truncation checks are all reached.
            var path = Write($"w-{i}.safetensors", gen.SafeTensorsFile(gen.Chance(0.8) ? ["bias", "weight"] : null));
            return () =>
            {
                using var linear = nn.Linear(2, 2);
                StreamingWeights.Load(linear, [new WeightShard(path, SafeTensors.ReadHeader(path))], path);
            };
        }, typeof(InvalidDataException));

    [Fact]
    public void ClipConfigsReadOrAreRefusedInOneLine() =>
        Run("clip config", 1703, (gen, i) =>
        {
            string Tower() => gen.Object(
            [
                ("hidden_size", () => gen.Pick(["8", "16", "768"])), ("intermediate_size", () => gen.Pick(["16", "3072"])),
                ("num_hidden_layers", () => gen.Pick(["1", "2", "12"])), ("num_attention_heads", () => gen.Pick(["1", "2", "4"])),
                ("layer_norm_eps", () => gen.Pick(["1e-5", "1e-12"])), ("hidden_act", () => gen.Pick(["\"quick_gelu\"", "\"gelu\""])),
                ("vocab_size", () => gen.Pick(["20", "49408"])), ("max_position_embeddings", () => gen.Pick(["7", "77"])),
                ("eos_token_id", () => gen.Pick(["2", "19"])), ("image_size", () => gen.Pick(["8", "224"])), ("patch_size", () => gen.Pick(["4", "32"])),
                ("num_channels", () => "3"),
            ]);
            var json = gen.Object(
            [
                ("model_type", () => "\"clip\""), ("architectures", () => "[\"CLIPModel\"]"), ("projection_dim", () => gen.Pick(["6", "512"])),
                ("logit_scale_init_value", () => "2.6592"), ("text_config", Tower), ("vision_config", Tower), ("text_config_dict", () => "null"),
            ], hostile: 0.15);
            var bytes = System.Text.Encoding.UTF8.GetBytes(json);
            var path = Write($"config-{i}.json", gen.Chance(0.2) ? gen.Damage(bytes) : bytes);
            return () =>
            {
                var config = ClipConfigJson.Read(path);
                // What a load does next, without allocating the model: the size against memory, then the expected keys.
                ClipCheckpoint.RequireMemory(config.ParameterCount, path);
                if (config.ParameterCount < 1e8) _ = ClipHfKeys.Expected(config);
            };
        }, typeof(InvalidDataException));

    [Fact]
    public void PreprocessorConfigsReadOrAreRefusedInOneLine() =>
        Run("preprocessor config", 1704, (gen, i) =>
        {
            var json = gen.Object(
            [
                ("image_processor_type", () => "\"CLIPImageProcessor\""), ("do_resize", () => "true"), ("size", () => gen.Pick(["224", "{\"shortest_edge\":224}", "{\"height\":8,\"width\":8}"])),
                ("resample", () => "3"), ("do_center_crop", () => gen.Pick(["true", "false"])), ("crop_size", () => gen.Pick(["224", "{\"height\":8,\"width\":8}"])),
                ("do_rescale", () => "true"), ("rescale_factor", () => "0.00392156862745098"), ("do_normalize", () => "true"),
                ("image_mean", () => "[0.48145466,0.4578275,0.40821073]"), ("image_std", () => "[0.26862954,0.26130258,0.27577711]"),
                ("do_convert_rgb", () => "true"),
            ]);
            var bytes = System.Text.Encoding.UTF8.GetBytes(json);
            var path = Write($"preprocessor-{i}.json", gen.Chance(0.2) ? gen.Damage(bytes) : bytes);
            return () => ClipPreprocessorConfig.Load(path);
        }, typeof(InvalidDataException));

    [Fact]
    public void ImagesDecodeOrAreRefusedInOneLine()
    {
        var fixtures = Directory.EnumerateFiles(Path.Combine(AppContext.BaseDirectory, "Images", "Fixtures"))
            .Where(ImageDecoder.IsImagePath).Select(File.ReadAllBytes).ToList();
        Assert.NotEmpty(fixtures);
        Run("image", 1705, (gen, i) =>
        {
            var seed = gen.Pick(fixtures);
            // Truncation and damage of real PNG/JPEG/WebP/BMP/GIF files, a header claiming a vast size, and plain noise.
            var bytes = gen.Next(5) switch
            {
                0 => seed[..gen.Next(seed.Length)],
                1 => gen.Damage(seed),
                2 => Vast(seed),
                3 => gen.Damage(gen.Damage(seed)),
                _ => gen.Damage([]),
            };
            return () => ImageDecoder.Decode(bytes, $"image case {i}");
        }, typeof(ImageDecodeException));
    }

    [Fact]
    public void SaeCheckpointsLoadOrAreRefusedInOneLine()
    {
        var intact = Path.Combine(Dir, "sae-intact.safetensors");
        using (var sae = SaeFactory.Create(new SaeConfig { Kind = SaeKind.JumpRelu, DIn = 3, DSae = 4, Seed = 2 }))
            SaeCheckpoint.SaveSae(intact, sae);
        var (tensors, meta) = SafeTensors.Load(intact);
        var bytes = File.ReadAllBytes(intact);
        Run("sae checkpoint", 1706, (gen, i) =>
        {
            var path = Path.Combine(Dir, $"sae-{i}.safetensors");
            if (gen.Chance(0.5)) File.WriteAllBytes(path, gen.Damage(bytes));
            else
            {
                // Metadata a careless writer could leave: the config's fields and the norm scale replaced by hostile values.
                var m = new Dictionary<string, string>(meta);
                m["config"] = gen.Object(
                [
                    ("Kind", () => gen.Pick(["\"JumpRelu\"", "\"TopK\"", "\"Relu\""])), ("DIn", () => "3"), ("DSae", () => "4"), ("K", () => gen.Pick(["2", "4"])),
                    ("DecoderInitNorm", () => "0.1"), ("JumpReluInitThreshold", () => "0.001"), ("JumpReluBandwidth", () => "0.001"), ("Seed", () => "2"),
                ]);
                if (gen.Chance(0.3)) m["norm_scale"] = gen.Pick(["NaN", "-1", "0", "1e400", "abc", "", "1"]);
                if (gen.Chance(0.1)) m.Remove(gen.Pick(["config", "norm_scale", "format"]));
                SafeTensors.Save(path, tensors, m);
            }
            return () => SaeCheckpoint.LoadSae(path).Dispose();
        }, typeof(InvalidDataException));
        foreach (var t in tensors.Values) t.Dispose();
    }

    [Fact]
    public void ActivationSetIndexesLoadOrAreRefusedInOneLine() =>
        Run("activation index", 1707, (gen, i) =>
        {
            var dir = Directory.CreateDirectory(Path.Combine(Dir, $"acts-{i}")).FullName;
            string Shard() => gen.Object(
            [
                ("Name", () => gen.Pick(["\"shard-0000.safetensors\"", "\"../x.safetensors\"", "\"/etc/passwd\""])), ("Rows", () => gen.Pick(["8", "0", "-1"])),
                ("Sha256", () => $"\"{new string('a', 64)}\""),
            ]);
            var json = gen.Object(
            [
                ("Format", () => "\"mminterp.activations.v1\""), ("HookName", () => "\"h\""), ("D", () => "4"), ("DType", () => "\"float32\""),
                ("ShardRows", () => "8"), ("Shards", () => "[" + string.Join(",", Enumerable.Range(0, gen.Next(3)).Select(_ => Shard())) + "]"),
            ]);
            File.WriteAllText(Path.Combine(dir, "index.json"), json);
            return () => _ = new ActivationSetReader(dir).Index;
        }, typeof(InvalidDataException));

    [Fact]
    public void SaeLensDirectoriesImportOrAreRefusedInOneLine()
    {
        var golden = Path.Combine(AppContext.BaseDirectory, "Sae", "SaeLensGolden", "written");
        var sources = Directory.EnumerateDirectories(golden).Where(d => File.Exists(Path.Combine(d, "cfg.json"))).ToList();
        Assert.NotEmpty(sources);
        Run("saelens import", 1708, (gen, i) =>
        {
            var source = gen.Pick(sources);
            var dir = Directory.CreateDirectory(Path.Combine(Dir, $"saelens-{i}")).FullName;
            var cfg = File.ReadAllBytes(Path.Combine(source, "cfg.json"));
            var weights = File.ReadAllBytes(Path.Combine(source, "sae_weights.safetensors"));
            // Damage the config (bytes, or a field replaced by a hostile value) or the weights.
            if (gen.Chance(0.4)) cfg = gen.Damage(cfg);
            else if (gen.Chance(0.6))
            {
                var text = System.Text.Encoding.UTF8.GetString(cfg);
                var field = gen.Pick(["d_in", "d_sae", "k", "architecture", "dtype", "normalize_activations", "apply_b_dec_to_input", "metadata", "sae_lens_version"]);
                var at = text.IndexOf($"\"{field}\":", StringComparison.Ordinal);
                if (at >= 0)
                {
                    var start = at + field.Length + 3;
                    var end = start;
                    while (end < text.Length && text[end] is not (',' or '}')) end++;
                    text = text[..start] + gen.Value() + text[end..];
                }
                cfg = System.Text.Encoding.UTF8.GetBytes(text);
            }
            else weights = gen.Damage(weights);
            File.WriteAllBytes(Path.Combine(dir, "cfg.json"), cfg);
            File.WriteAllBytes(Path.Combine(dir, "sae_weights.safetensors"), weights);
            return () => Kernels.Sae.Interchange.SaeLensImporter.Read(dir).Sae.Dispose();
        }, typeof(InvalidDataException));
    }

    /// <summary>A PNG whose header claims 65535 x 65535 pixels (other formats pass unchanged).</summary>
    static byte[] Vast(byte[] file)
    {
        var b = (byte[])file.Clone();
        if (b.Length > 24 && b[1] == (byte)'P' && b[2] == (byte)'N' && b[3] == (byte)'G')
            for (var i = 16; i < 24; i++) b[i] = i % 4 < 2 ? (byte)0 : (byte)0xFF;
        return b;
    }
}
