using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using MMInterp.Client.Cli;
using MMInterp.Client.Platform;
using MMInterp.Grains.Contracts;
using MMInterp.Grains.Registry;
using Spectre.Console;

namespace MMInterp.Client.Commands;

/// <summary>
/// `mminterp models hooks ID|NAME`: the hook points a registered model offers to `extract` and `train-sae`, with the
/// shape each gives per image ([tokens, width]). The model grain loads the model on an accelerator silo and reads
/// the shapes from one forward pass.
/// </summary>
public static class ModelsHooksCommand
{
    public static Command Create(Option<string?> db, Option<bool> json, IAnsiConsole? console)
    {
        var id = new Argument<string>("model") { Description = "the model's id or name" };
        var command = new Command("hooks", "list a registered model's hook points with the shape of each (per image: tokens x width)") { id };
        CliAction.Set(command, async (parse, ct) =>
        {
            await using var session = await PlatformSession.OpenAsync(parse.GetValue(db), ct);
            var key = parse.GetValue(id)!;
            var model = (RegistryIds.IsValid(key) ? await session.Registry.Models.GetAsync(key, ct) : null)
                        ?? await session.Registry.Models.GetByNameAsync(key, ct: ct)
                        ?? throw new ArgumentException($"no model '{key}' in the registry (see `mminterp models list`)");
            var cluster = await session.ClusterAsync(ct);
            var info = await CliAction.WithProgress($"loading {model.Id}", async report =>
            {
                report(0, null);
                return await cluster.GetGrain<IModelGrain>(model.Id).Describe();
            });
            var output = CliConsole.Out(console);
            var shapes = info.HookShapes ?? new Dictionary<string, long[]>();
            if (parse.GetValue(json))
            {
                var rows = info.HookPoints.Select(h => new { hook = h, shape = shapes.GetValueOrDefault(h) }).ToList();
                output.Profile.Out.Writer.WriteLine(JsonSerializer.Serialize(new { model = model.Id, family = info.Family, parameters = info.Parameters, hooks = rows },
                    new JsonSerializerOptions { WriteIndented = true }));
                return 0;
            }
            output.WriteLine($"{model.Id} ({model.Name}, {info.Family}, {info.Parameters.ToString("N0", CultureInfo.InvariantCulture)} parameters)");
            var table = new Table().Border(TableBorder.Rounded)
                .AddColumn(new TableColumn("hook").NoWrap()).AddColumn("tokens").AddColumn("width");
            foreach (var h in info.HookPoints)
            {
                var s = shapes.GetValueOrDefault(h);
                table.AddRow(new Text(h), new Text(s is { Length: 2 } ? s[0].ToString(CultureInfo.InvariantCulture) : "-"),
                    new Text(s is { Length: > 0 } ? s[^1].ToString(CultureInfo.InvariantCulture) : "-"));
            }
            output.Write(table);
            if (info.HookPoints.Any(h => !shapes.ContainsKey(h)))
                output.WriteLine("-: not reached by an image (e.g. a CLIP's text tower); extraction reads image hooks");
            return 0;
        });
        return command;
    }
}
