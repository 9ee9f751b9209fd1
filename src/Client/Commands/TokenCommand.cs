using System.CommandLine;
using MMInterp.Client.Cli;
using MMInterp.Client.Platform;
using MMInterp.Grains.Registry;

namespace MMInterp.Client.Commands;

/// <summary>
/// `mminterp token create|revoke|list`: API tokens for the web UI and API. The token is printed once; the registry keeps
/// only its hash. Scopes nest: admin includes write, write includes read.
/// </summary>
public static class TokenCommand
{
    public static Command Create()
    {
        var command = new Command("token", "create, list and revoke API tokens for `mminterp serve`");
        command.Subcommands.Add(CreateToken());
        command.Subcommands.Add(Revoke());
        command.Subcommands.Add(TokenListCommand.Create());
        return command;
    }

    static Command CreateToken()
    {
        var user = new Option<string>("--user") { Description = "user the token speaks for (created when new)", Required = true };
        var scope = new Option<string>("--scope") { Description = "read | write | admin", DefaultValueFactory = _ => "read" };
        scope.AcceptOnlyFromAmong("read", "write", "admin");
        var description = new Option<string>("--description") { Description = "what the token is for", DefaultValueFactory = _ => "" };
        var days = new Option<int?>("--expires-days") { Description = "days until the token expires (default: never)" };
        var db = DatabaseOption.Create();
        var command = new Command("create", "create an API token and print it once") { user, scope, description, days, db };
        CliAction.Set(command, async (parse, ct) =>
        {
            if (parse.GetValue(days) is < 1) throw new ArgumentException($"--expires-days must be >= 1, got {parse.GetValue(days)}");
            await using var session = await PlatformSession.OpenAsync(parse.GetValue(db), ct);
            var userId = parse.GetValue(user)!;
            await session.Registry.Tokens.EnsureUserAsync(userId, ct: ct);
            var expires = parse.GetValue(days) is { } d ? DateTimeOffset.UtcNow.AddDays(d) : (DateTimeOffset?)null;
            var created = await session.Registry.Tokens.CreateAsync(userId, [RegistryNames.ParseScope(parse.GetValue(scope)!)],
                description: parse.GetValue(description)!, expiresAt: expires, ct: ct);
            Console.WriteLine(created.Token);
            Console.Error.WriteLine($"token {created.TokenId} for {created.UserId} ({string.Join(", ", created.Scopes.Select(RegistryNames.Name))}"
                                    + $"{(expires is { } e ? $", expires {e:yyyy-MM-dd}" : "")}); it is shown only now. Revoke with `mminterp token revoke {created.TokenId}`.");
            return 0;
        });
        return command;
    }

    static Command Revoke()
    {
        var id = new Argument<string>("id") { Description = "the token's id (the part after mmi_, before the second _)" };
        var db = DatabaseOption.Create();
        var command = new Command("revoke", "revoke an API token; it stops working at once") { id, db };
        CliAction.Set(command, async (parse, ct) =>
        {
            await using var session = await PlatformSession.OpenAsync(parse.GetValue(db), ct);
            try
            {
                await session.Registry.Tokens.RevokeAsync(parse.GetValue(id)!, ct);
            }
            catch (RegistryNotFoundException e)
            {
                throw new ArgumentException(e.Message);
            }
            Console.WriteLine($"revoked {parse.GetValue(id)}");
            return 0;
        });
        return command;
    }
}
