using System.CommandLine;
using System.Text.Json;
using MMInterp.Client.Cli;
using MMInterp.Client.Platform;
using MMInterp.Grains.Registry;
using MMInterp.Kernels.Datasets;
using MMInterp.Silo.Work;

namespace MMInterp.Client.Commands;

/// <summary>
/// `mminterp datasets add SPEC [--name NAME]`, `datasets list`, `datasets show ID|NAME`: user image datasets, stored
/// in the artefact store (content-addressed, so every silo reads the same files) and recorded in the registry.
/// </summary>
public static class DatasetsCommand
{
    public static Command Create()
    {
        var command = new Command("datasets", "register and inspect user image datasets (images:DIR, imagefolder:DIR, jsonl:FILE, csv:FILE, parquet:PATH)");
        command.Subcommands.Add(Add());
        command.Subcommands.Add(List());
        command.Subcommands.Add(Show());
        return command;
    }

    static Command Add()
    {
        var spec = new Argument<string>("spec") { Description = "images:DIR | imagefolder:DIR | jsonl:FILE | csv:FILE | parquet:PATH" };
        var name = new Option<string?>("--name") { Description = "name to register it under (default: the folder or file name)" };
        var db = DatabaseOption.Create();
        var command = new Command("add", "store a dataset's files and register it; prints its id (the same files always get the same id)") { spec, name, db };
        CliAction.Set(command, async (parse, ct) =>
        {
            var text = parse.GetValue(spec)!;
            var dataset = ImageDatasets.Open(text); // a bad SPEC fails here, before the database is opened
            Console.Error.WriteLine($"datasets add: {dataset.Items.Count} items, {dataset.Files.Count} files to store");
            await using var session = await PlatformSession.OpenAsync(parse.GetValue(db), ct);
            var progress = new Progress<int>(n =>
            {
                if (n % 500 == 0 || n == dataset.Files.Count) Console.Error.WriteLine($"  stored {n}/{dataset.Files.Count} files");
            });
            var (record, created) = await DatasetRegistration.RegisterAsync(session.Artefacts, session.Registry, dataset, parse.GetValue(name), progress, ct);
            Console.Error.WriteLine(created ? $"registered {record.Name}: {Describe(record)}" : $"already registered as {record.Name}: {Describe(record)}");
            Console.WriteLine(record.Id);
            return 0;
        });
        return command;
    }

    static Command List()
    {
        var json = new Option<bool>("--json") { Description = "print JSON" };
        var limit = new Option<int>("--limit") { Description = "most rows to print (newest first)", DefaultValueFactory = _ => 100 };
        var db = DatabaseOption.Create();
        var command = new Command("list", "list registered datasets, newest first") { json, limit, db };
        CliAction.Set(command, async (parse, ct) =>
        {
            await using var session = await PlatformSession.OpenAsync(parse.GetValue(db), ct);
            var rows = await session.Registry.Datasets.ListAsync(parse.GetValue(limit), ct);
            if (parse.GetValue(json)) Console.WriteLine(JsonSerializer.Serialize(rows));
            else foreach (var r in rows) Console.WriteLine($"{r.Id}  {r.Name}  {Describe(r)}");
            return 0;
        });
        return command;
    }

    static Command Show()
    {
        var id = new Argument<string>("id") { Description = "dataset id or name" };
        var db = DatabaseOption.Create();
        var command = new Command("show", "show one registered dataset") { id, db };
        CliAction.Set(command, async (parse, ct) =>
        {
            await using var session = await PlatformSession.OpenAsync(parse.GetValue(db), ct);
            var key = parse.GetValue(id)!;
            var r = (DatasetRegistration.IsId(key) ? await session.Registry.Datasets.GetAsync(key, ct) : null)
                    ?? await session.Registry.Datasets.GetByNameAsync(key, ct: ct)
                    ?? throw new ArgumentException($"no dataset '{key}' is registered (see `mminterp datasets list`)");
            Console.WriteLine(JsonSerializer.Serialize(r, new JsonSerializerOptions { WriteIndented = true }));
            return 0;
        });
        return command;
    }

    static string Describe(DatasetRecord r) =>
        $"{r.Kind}, {r.ItemCount} items, {r.ByteCount / 1024.0 / 1024.0:F1} MiB, " +
        (r.LabelNames.Count == 0 ? "no labels" : $"{r.LabelNames.Count} labels ({string.Join(", ", r.LabelNames.Take(5))}{(r.LabelNames.Count > 5 ? ", ..." : "")})") +
        $", content {r.ContentSha256[..12]}, from {r.Source}";
}
