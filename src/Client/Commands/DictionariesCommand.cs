using System.CommandLine;
using MMInterp.Client.Cli;
using MMInterp.Client.Platform;

namespace MMInterp.Client.Commands;

/// <summary>
/// `mminterp dictionaries export ID --format saelens DIR` and `mminterp dictionaries import DIR --model ID --hook HOOK
/// [--name NAME]`: dictionaries to and from SAELens's on-disk format (cfg.json + sae_weights.safetensors).
/// </summary>
public static class DictionariesCommand
{
    const string SaeLens = "saelens";

    public static Command Create()
    {
        var command = new Command("dictionaries", "exchange dictionaries (SAEs) with other tools: SAELens directories out and in");
        command.Subcommands.Add(Export());
        command.Subcommands.Add(Import());
        return command;
    }

    static Command Export()
    {
        var id = new Argument<string>("id") { Description = "registered dictionary id (see `mminterp registry list dictionaries`)" };
        var dir = new Argument<string>("dir") { Description = "directory to write (created; must not already hold an SAE)" };
        var format = new Option<string>("--format") { Description = "on-disk format", DefaultValueFactory = _ => SaeLens };
        format.AcceptOnlyFromAmong(SaeLens);
        var db = DatabaseOption.Create();
        var command = new Command("export", "write a dictionary as SAELens's save_model does: cfg.json and sae_weights.safetensors") { id, dir, format, db };
        CliAction.Set(command, async (parse, ct) =>
        {
            await using var session = await PlatformSession.OpenAsync(parse.GetValue(db), ct);
            var done = await DictionaryInterchange.ExportAsync(session.Registry, session.Artefacts, parse.GetValue(id)!, parse.GetValue(dir)!, ct);
            Console.WriteLine($"dictionary {parse.GetValue(id)} ({done.Kind}) written as a SAELens '{done.Architecture}' SAE to {Path.GetFullPath(done.Directory)}");
            if (done.Sidecar)
                Console.WriteLine("note: its input normalisation is folded into the weights (as SAELens's trainer folds it); mminterp_sae.safetensors beside them restores ours exactly on import");
            return 0;
        });
        return command;
    }

    static Command Import()
    {
        var dir = new Argument<string>("dir") { Description = "a SAELens SAE directory (cfg.json + sae_weights.safetensors)" };
        var model = new Option<string>("--model") { Description = "registered model id or name the SAE reads", Required = true };
        var hook = new Option<string>("--hook") { Description = "hook point it reads, e.g. vision.blocks.8.hook_resid_post", Required = true };
        var name = new Option<string?>("--name") { Description = "a name kept with the dictionary's lineage" };
        var db = DatabaseOption.Create();
        var command = new Command("import", "register a SAELens SAE as a dictionary at a hook of a registered model") { dir, model, hook, name, db };
        CliAction.Set(command, async (parse, ct) =>
        {
            await using var session = await PlatformSession.OpenAsync(parse.GetValue(db), ct);
            var done = await DictionaryInterchange.ImportAsync(session.Registry, session.Artefacts, parse.GetValue(dir)!, parse.GetValue(model)!,
                parse.GetValue(hook)!, parse.GetValue(name), ct);
            var d = done.Dictionary;
            foreach (var note in done.Notes) Console.WriteLine($"note: {note}");
            Console.WriteLine($"dictionary {d.Id}: {d.Architecture} SAE, d_in {d.DIn} (hook width from {done.Width.Source}), d_sae {d.DSae}, at {d.HookPoint} of {d.ModelId}");
            return 0;
        });
        return command;
    }
}
