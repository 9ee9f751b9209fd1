namespace MMInterp.Bench;

public sealed record SaeBenchOptions(int D, int M, int Batch, int K, int Steps, int Rounds, string Python, string Script)
{
    public static SaeBenchOptions Parse(string[] args)
    {
        var o = new SaeBenchOptions(512, 8192, 4096, 32, 6, 3, "/usr/bin/python3", FindScript());
        for (int i = 0; i < args.Length; i += 2)
        {
            if (i + 1 >= args.Length) throw new ArgumentException($"option {args[i]} needs a value");
            string v = args[i + 1];
            o = args[i] switch
            {
                "--d" => o with { D = int.Parse(v) },
                "--m" => o with { M = int.Parse(v) },
                "--batch" => o with { Batch = int.Parse(v) },
                "--k" => o with { K = int.Parse(v) },
                "--steps" => o with { Steps = int.Parse(v) },
                "--rounds" => o with { Rounds = int.Parse(v) },
                "--python" => o with { Python = v },
                "--script" => o with { Script = v },
                _ => throw new ArgumentException($"unknown option {args[i]}"),
            };
        }
        return o;
    }

    private static string FindScript()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var p = Path.Combine(dir.FullName, "bench", "sae_step_pytorch.py");
            if (File.Exists(p)) return p;
        }
        return "bench/sae_step_pytorch.py";
    }
}
