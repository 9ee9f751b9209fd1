namespace MMInterp.Bench;

/// <summary>Options of `MMInterp.Bench clip` and of the child processes it starts (clip-extract, clip-load).</summary>
public sealed record ClipBenchOptions(string Work, string ClipRepo, int Images, int Batch, int Reps, int Rounds, int Threads,
    int HookBlock, string Python, string Script, long Seed, string PeerBlas, bool FullForward = false)
{
    public string Hook => $"vision.blocks.{HookBlock}.hook_resid_post";

    public static ClipBenchOptions Parse(string[] args)
    {
        var o = new ClipBenchOptions("/tmp/mminterp-clip-bench", "none", 256, 64, 3, 3, Environment.ProcessorCount, 6,
            "/usr/bin/python3", FindScript(), 0, "system");
        for (int i = 0; i < args.Length; i += 2)
        {
            if (i + 1 >= args.Length) throw new ArgumentException($"option {args[i]} needs a value");
            string v = args[i + 1];
            o = args[i] switch
            {
                "--work" => o with { Work = v },
                "--clip-repo" => o with { ClipRepo = v },
                "--images" => o with { Images = int.Parse(v) },
                "--batch" => o with { Batch = int.Parse(v) },
                "--reps" => o with { Reps = int.Parse(v) },
                "--rounds" => o with { Rounds = int.Parse(v) },
                "--threads" => o with { Threads = int.Parse(v) },
                "--hook-block" => o with { HookBlock = int.Parse(v) },
                "--python" => o with { Python = v },
                "--script" => o with { Script = v },
                "--seed" => o with { Seed = long.Parse(v) },
                "--peer-blas" => o with { PeerBlas = v },
                "--full-forward" => o with { FullForward = bool.Parse(v) },
                _ => throw new ArgumentException($"unknown option {args[i]}"),
            };
        }
        if (o.Images < 1 || o.Batch < 1 || o.Reps < 1 || o.Rounds < 1 || o.Threads < 1)
            throw new ArgumentException("--images, --batch, --reps, --rounds and --threads must be positive");
        return o;
    }

    /// <summary>The arguments that reproduce these options in a child process.</summary>
    public IEnumerable<string> ChildArgs() =>
        ["--work", Work, "--images", $"{Images}", "--batch", $"{Batch}", "--reps", $"{Reps}", "--threads", $"{Threads}", "--hook-block", $"{HookBlock}", "--full-forward", $"{FullForward}"];

    private static string FindScript()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var p = Path.Combine(dir.FullName, "bench", "clip_extract_pytorch.py");
            if (File.Exists(p)) return p;
        }
        return "bench/clip_extract_pytorch.py";
    }
}
