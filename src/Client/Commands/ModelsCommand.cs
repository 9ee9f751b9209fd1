using System.CommandLine;
using System.Globalization;
using MMInterp.Client.Cli;
using MMInterp.Client.Platform;
using MMInterp.Client.Registry;
using MMInterp.Grains.Contracts;
using MMInterp.Grains.Registry;
using MMInterp.Silo.Work;
using Spectre.Console;

namespace MMInterp.Client.Commands;

/// <summary>
/// `mminterp models add DIR --family clip|vlm|diffusion [--name NAME]`, `models list`, `models show ID|NAME`, `models remove ID|NAME`, `models hooks ID|NAME`:
/// bring a checkpoint from outside (an HF CLIPModel or LlavaForConditionalGeneration directory, or a diffusers Stable Diffusion pipeline) into the registry, and manage registered models.
/// </summary>
public static class ModelsCommand
{
    public static Command Create() => Create(null);

    /// <summary><paramref name="console"/>: where output goes (tests capture it); null means the terminal.
    /// <paramref name="artefactRoot"/>: the artefact store (tests give their own); null means the session's.</summary>
    public static Command Create(IAnsiConsole? console, string? artefactRoot = null)
    {
        var db = new Option<string?>("--db")
        {
            Description = $"registry PostgreSQL connection string (default: ${PlatformSession.DatabaseVariable}, else the embedded server)",
            Recursive = true,
        };
        var json = new Option<bool>("--json") { Description = "print JSON instead of tables", Recursive = true };
        var command = new Command("models", "register checkpoints brought from outside (Hugging Face CLIPModel directories) and manage registered models");
        command.Options.Add(db);
        command.Options.Add(json);
        command.Subcommands.Add(Add(db, console, artefactRoot));
        command.Subcommands.Add(List(db, json, console));
        command.Subcommands.Add(Show(db, json, console));
        command.Subcommands.Add(Remove(db, console));
        command.Subcommands.Add(ModelsHooksCommand.Create(db, json, console));
        command.Subcommands.Add(ModelsTokenizeCommand.Create(json, console));
        command.Subcommands.Add(ModelsGenerateCommand.Create(json, console));
        command.Subcommands.Add(ModelsSampleCommand.Create(json, console));
        return command;
    }

    static Command Add(Option<string?> db, IAnsiConsole? console, string? artefactRoot)
    {
        var dir = new Argument<string>("dir") { Description = "the checkpoint directory (HF layout: config.json, model.safetensors or index + shards, tokenizer files; diffusers: model_index.json and its component folders)" };
        var family = new Option<string>("--family") { Description = "clip (HF CLIPModel), vlm (HF LlavaForConditionalGeneration) or diffusion (a diffusers StableDiffusionPipeline / StableDiffusionXLPipeline directory)", Required = true };
        family.AcceptOnlyFromAmong("clip", "vlm", "diffusion");
        var name = new Option<string?>("--name") { Description = "the model's name in the registry (default: the directory's name)" };
        var command = new Command("add", "check a checkpoint directory, store it in the artefact store and register it; prints the model id") { dir, family, name };
        CliAction.Set(command, async (parse, ct) =>
        {
            var out_ = Output(console);
            var f = parse.GetValue(family)!;
            await using var session = await PlatformSession.OpenAsync(parse.GetValue(db), ct);
            var store = artefactRoot is null ? session.Artefacts : new Kernels.Artefacts.ArtefactStore(artefactRoot);
            if (f == "diffusion")
            {
                var d = await ForeignModelRegistration.RegisterDiffusionAsync(store, session.Registry, parse.GetValue(dir)!, parse.GetValue(name), ct,
                    line => out_.MarkupLineInterpolated($"[grey]{line}[/]"));
                var ds = d.Summary;
                out_.MarkupLineInterpolated(
                    $"[grey]{ds.PipelineClass}: {ds.TextEncoders.Count} text encoder(s), VAE {(ds.VaeVariant ?? "fp32")}, U-Net {(ds.UnetVariant ?? "fp32")} ({ds.WeightBytes / 1e6:F1} MB of weights), scheduler {ds.SchedulerClass} (sampled as {ds.Scheduler.ClassName}){(ds.Ignored.Count > 0 ? $"; not stored: {string.Join(", ", ds.Ignored)}" : "")}[/]");
                if (d.AlreadyRegistered) out_.MarkupLineInterpolated($"[grey]already registered as '{d.Model.Name}'[/]");
                out_.Profile.Out.Writer.WriteLine(d.Model.Id);
                return 0;
            }
            if (f == "vlm")
            {
                var l = await ForeignModelRegistration.RegisterLlavaAsync(store, session.Registry, parse.GetValue(dir)!, parse.GetValue(name), ct,
                    line => out_.MarkupLineInterpolated($"[grey]{line}[/]"));
                var ls = l.Summary;
                out_.MarkupLineInterpolated(
                    $"[grey]{ls.ParameterCount.ToString("N0", CultureInfo.InvariantCulture)} parameters in {ls.Weights.Shards.Count} shard(s) ({string.Join(", ", ls.TensorsByDType.Select(kv => $"{kv.Value} {kv.Key}"))}), {(ls.Layout == Kernels.Checkpoints.LlavaKeyLayout.Older ? "older" : "newer")} HF keys; tokeniser {ls.Tokenizer}, chat template {ls.ChatTemplate}[/]");
                if (l.AlreadyRegistered) out_.MarkupLineInterpolated($"[grey]already registered as '{l.Model.Name}'[/]");
                out_.Profile.Out.Writer.WriteLine(l.Model.Id);
                return 0;
            }
            var r = await ForeignModelRegistration.RegisterClipAsync(store, session.Registry, parse.GetValue(dir)!, parse.GetValue(name), ct,
                line => out_.MarkupLineInterpolated($"[grey]{line}[/]"));
            var s = r.Summary;
            out_.MarkupLineInterpolated(
                $"[grey]{s.ParameterCount.ToString("N0", CultureInfo.InvariantCulture)} parameters in {s.Weights.Shards.Count} shard(s) ({string.Join(", ", s.TensorsByDType.Select(kv => $"{kv.Value} {kv.Key}"))}); tokenizer {s.Tokenizer}[/]");
            if (r.AlreadyRegistered) out_.MarkupLineInterpolated($"[grey]already registered as '{r.Model.Name}'[/]");
            out_.Profile.Out.Writer.WriteLine(r.Model.Id);
            return 0;
        });
        return command;
    }

    static Command List(Option<string?> db, Option<bool> json, IAnsiConsole? console)
    {
        var limit = new Option<int>("--limit") { Description = "most rows to print (newest first)", DefaultValueFactory = _ => 50 };
        var command = new Command("list", "list registered models, newest first") { limit };
        CliAction.Set(command, async (parse, ct) =>
        {
            await using var session = await PlatformSession.OpenAsync(parse.GetValue(db), ct);
            await RegistryListView.RenderAsync(session.Registry, RegistryKind.Models, parse.GetValue(limit), parse.GetValue(json), Output(console), ct);
            return 0;
        });
        return command;
    }

    static Command Show(Option<string?> db, Option<bool> json, IAnsiConsole? console)
    {
        var id = new Argument<string>("model") { Description = "the model's id or name" };
        var command = new Command("show", "show one model with its spec (lineage)") { id };
        CliAction.Set(command, async (parse, ct) =>
        {
            await using var session = await PlatformSession.OpenAsync(parse.GetValue(db), ct);
            await RegistryShowView.RenderAsync(session.Registry, RegistryKind.Models, parse.GetValue(id)!, parse.GetValue(json), Output(console), ct);
            return 0;
        });
        return command;
    }

    static Command Remove(Option<string?> db, IAnsiConsole? console)
    {
        var id = new Argument<string>("model") { Description = "the model's id or name" };
        var command = new Command("remove", "unregister a model; refused while activation sets, dictionaries, runs or experiments use it") { id };
        CliAction.Set(command, async (parse, ct) =>
        {
            await using var session = await PlatformSession.OpenAsync(parse.GetValue(db), ct);
            var key = parse.GetValue(id)!;
            var model = (RegistryIds.IsValid(key) ? await session.Registry.Models.GetAsync(key, ct) : null)
                        ?? await session.Registry.Models.GetByNameAsync(key, ct: ct)
                        ?? throw new KeyNotFoundException($"no model '{key}' in the registry");
            await session.Registry.Models.DeleteAsync(model.Id, ct);
            Output(console).Profile.Out.Writer.WriteLine($"removed {model.Id} ({model.Name}); its stored files stay in the artefact store");
            return 0;
        });
        return command;
    }

    static IAnsiConsole Output(IAnsiConsole? console) => CliConsole.Out(console);
}
