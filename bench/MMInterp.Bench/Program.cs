using MMInterp.Bench;

// Usage: MMInterp.Bench sae [--d 512] [--m 8192] [--batch 4096] [--k 32] [--steps 6] [--rounds 3] [--python /usr/bin/python3|none]
//        MMInterp.Bench cluster [--images 4096] [--shards 16] [--rounds 3] [--silos 1,2] [--hook NAME]
//        MMInterp.Bench clip-write DIR [--dtype f32|f16|bf16] [--shards N]; MMInterp.Bench clip-load DIR
const string usage = "usage: MMInterp.Bench sae [--d N] [--m N] [--batch N] [--k N] [--steps N] [--rounds N] [--python PATH|none]\n" +
                     "       MMInterp.Bench cluster [--images N] [--shards N] [--rounds N] [--silos 1,2] [--hook NAME]\n" +
                     "       MMInterp.Bench clip-write DIR [--dtype f32|f16|bf16] [--shards N]\n" +
                     "       MMInterp.Bench clip-load DIR";
switch (args.FirstOrDefault())
{
    case "sae":
        return SaeBench.Run(SaeBenchOptions.Parse(args.Skip(1).ToArray()));
    case "cluster":
        return await ClusterBench.RunAsync(ClusterBench.Options.Parse(args.Skip(1).ToArray()));
    case "clip-write":
        return ClipLoadBench.Write(args.Skip(1).ToArray());
    case "clip-load":
        return ClipLoadBench.Load(args.Skip(1).ToArray());
    default:
        Console.Error.WriteLine(usage);
        return 2;
}
