using System.CommandLine;
using System.Globalization;
using MMInterp.Client.Cli;
using MMInterp.Client.Platform;
using MMInterp.Client.Registry;
using MMInterp.Grains.Registry;
using Spectre.Console;

namespace MMInterp.Client.Commands;

/// <summary>`mminterp token list`: the API tokens (never their secrets): user, scopes, when made, last used, expiry.</summary>
public static class TokenListCommand
{
    public static Command Create()
    {
        var all = new Option<bool>("--all") { Description = "include revoked and expired tokens" };
        var json = new Option<bool>("--json") { Description = "print JSON instead of a table" };
        var db = DatabaseOption.Create();
        var command = new Command("list", "list API tokens (ids, users, scopes; secrets are never stored)") { all, json, db };
        CliAction.Set(command, async (parse, ct) =>
        {
            await using var session = await PlatformSession.OpenAsync(parse.GetValue(db), ct);
            var tokens = await session.Registry.Tokens.ListAsync(parse.GetValue(all), limit: 10_000, ct: ct);
            if (parse.GetValue(json))
            {
                Console.Out.WriteLine(RecordJson.FormatList(tokens));
                return 0;
            }
            if (tokens.Count == 0)
            {
                Console.WriteLine(parse.GetValue(all) ? "no tokens" : "no active tokens (--all shows revoked and expired ones)");
                return 0;
            }
            var table = new Table().Border(TableBorder.Rounded).AddColumn(new TableColumn("id").NoWrap())
                .AddColumns("user", "scopes", "description", "created", "last used", "expires", "state");
            foreach (var t in tokens)
                table.AddRow(new Text(t.TokenId), new Text(t.UserId), new Text(string.Join(", ", t.Scopes.Select(RegistryNames.Name))), new Text(t.Description),
                    new Text(When(t.CreatedAt)), new Text(When(t.LastUsedAt)), new Text(When(t.ExpiresAt)), new Text(State(t)));
            CliConsole.Out().Write(table);
            return 0;
        });
        return command;
    }

    static string State(TokenInfo t) =>
        t.RevokedAt is not null ? "revoked" : t.ExpiresAt is { } e && e <= DateTimeOffset.UtcNow ? "expired" : "active";

    static string When(DateTimeOffset? t) => t is { } v ? v.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) + "Z" : "-";
}
