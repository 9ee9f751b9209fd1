using MMInterp.Bench;

// Usage: MMInterp.Bench sae [--d 512] [--m 8192] [--batch 4096] [--k 32] [--steps 6] [--rounds 3] [--python /usr/bin/python3|none]
if (args.Length == 0 || args[0] != "sae")
{
    Console.Error.WriteLine("usage: MMInterp.Bench sae [--d N] [--m N] [--batch N] [--k N] [--steps N] [--rounds N] [--python PATH|none]");
    return 2;
}
var opts = SaeBenchOptions.Parse(args.Skip(1).ToArray());
return SaeBench.Run(opts);
