using MMInterp.Bench;

// Usage: MMInterp.Bench sae [--d 512] [--m 8192] [--batch 4096] [--k 32] [--steps 6] [--rounds 3] [--python /usr/bin/python3|none]
//        MMInterp.Bench sweep-read [--d 256] [--m 1024] [--k 32] [--batch 1024] [--steps 40] [--points 8] [--shards 8] [--rounds 1]
//        MMInterp.Bench cluster [--images 4096] [--shards 16] [--rounds 3] [--silos 1,2] [--hook NAME]
//        MMInterp.Bench reliability [--kills 20] [--pg-restarts 3] [--web-clients 32] [--web-seconds 20] [--seed 7] [--kinds extract,train,experiment]
//        MMInterp.Bench clip --clip-repo OPENAI_CLIP_CHECKOUT|none [--images 256] [--batch 64] [--reps 3] [--rounds 3] [--threads N] [--hook-block 6] [--work DIR]
//          (starts its own children: clip-extract and clip-load with the same options, and the PyTorch peer)
//        MMInterp.Bench feature-search [--features 65536] [--repeats 30]
//        MMInterp.Bench clip-write DIR [--dtype f32|f16|bf16] [--shards N]; MMInterp.Bench clip-load-dir DIR
//        MMInterp.Bench llama-check DIR [--threads N]   (DIR from tests/reference/llama_meta_reference.py --wide)
//        MMInterp.Bench llava-check DIR [--threads N]   (DIR from tests/reference/llava_reference.py --wide)
//        MMInterp.Bench unet-check DIR [--threads N] [--latents S]   (DIR from tests/reference/sd_unet_reference.py --wide)
//        MMInterp.Bench llava-prefill DIR [--threads N] [--reps N] [--decode K] [--fp32]   (the same DIR; bench/run-llava-prefill.sh)
//        MMInterp.Bench unet-step DIR [--latents S] [--reps N] [--threads N]   (the unet-check DIR; bench/run-unet-step.sh)
const string usage = "usage: MMInterp.Bench sae [--d N] [--m N] [--batch N] [--k N] [--steps N] [--rounds N] [--python PATH|none]\n" +
                     "       MMInterp.Bench sweep-read [--d N] [--m N] [--k N] [--batch N] [--steps N] [--points N] [--shards N] [--rounds N]\n" +
                     "       MMInterp.Bench cluster [--images N] [--shards N] [--rounds N] [--silos 1,2] [--hook NAME]\n" +
                     "       MMInterp.Bench reliability [--kills N] [--pg-restarts N] [--web-clients N] [--web-seconds N] [--seed N] [--kinds extract,train,experiment]\n" +
                     "       MMInterp.Bench clip --clip-repo PATH|none [--images N] [--batch N] [--reps N] [--rounds N] [--threads N] [--hook-block N] [--work DIR]\n" +
                     "       MMInterp.Bench feature-search [--features N] [--repeats N]\n" +
                     "       MMInterp.Bench clip-write DIR [--dtype f32|f16|bf16] [--shards N]\n" +
                     "       MMInterp.Bench clip-load-dir DIR\n" +
                     "       MMInterp.Bench llama-check DIR [--threads N]\n" +
                     "       MMInterp.Bench llava-check DIR [--threads N]\n" +
                     "       MMInterp.Bench unet-check DIR [--threads N] [--latents S]\n" +
                     "       MMInterp.Bench llava-prefill DIR [--threads N] [--reps N] [--decode K] [--fp32]\n" +
                     "       MMInterp.Bench unet-step DIR [--latents S] [--reps N] [--threads N]";
switch (args.FirstOrDefault())
{
    case "sae":
        return SaeBench.Run(SaeBenchOptions.Parse(args.Skip(1).ToArray()));
    case "sweep-read":
        return SweepReadBench.Run(SweepReadBench.Options.Parse(args.Skip(1).ToArray()));
    case "cluster":
        return await ClusterBench.RunAsync(ClusterBench.Options.Parse(args.Skip(1).ToArray()));
    case "reliability":
        return await ReliabilityBench.RunAsync(ReliabilityBench.Options.Parse(args.Skip(1).ToArray()));
    case "feature-search":
        return await FeatureSearchBench.RunAsync(FeatureSearchBench.Options.Parse(args.Skip(1).ToArray()));
    case "clip-write":
        return ClipLoadBench.Write(args.Skip(1).ToArray());
    case "clip-load-dir":
        return ClipLoadBench.Load(args.Skip(1).ToArray());
    case "clip":
        return ClipBench.Run(ClipBenchOptions.Parse(args.Skip(1).ToArray()));
    case "clip-extract":
        return ClipBench.Extract(ClipBenchOptions.Parse(args.Skip(1).ToArray()));
    case "clip-load":
        return ClipBench.LoadOnly(ClipBenchOptions.Parse(args.Skip(1).ToArray()));
    case "llama-check":
        return LlamaCheckBench.Run(args.Skip(1).ToArray());
    case "unet-check":
        return UNetCheckBench.Run(args.Skip(1).ToArray());
    case "llava-check":
        return LlavaCheckBench.Run(args.Skip(1).ToArray());
    case "llava-prefill":
        return LlavaPrefillBench.Run(args.Skip(1).ToArray());
    case "unet-step":
        return UNetStepBench.Run(args.Skip(1).ToArray());
    case "vlm-llava-eval":
        return VlmLlavaBench.Eval(args.Skip(1).ToArray());
    case "vlm-llava-study":
        return VlmLlavaBench.Study(args.Skip(1).ToArray());
    case "vlm-llava-train":
        return VlmLlavaBench.Train(args.Skip(1).ToArray());
    case "clip-dump":
        return ClipDump.Run(args[1], args[2]);
    default:
        Console.Error.WriteLine(usage);
        return 2;
}
