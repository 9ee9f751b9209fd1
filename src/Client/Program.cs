using System.CommandLine;
using MMInterp.Client.Commands;

// Each command group lives in Commands/ as a static Create() factory.
var root = new RootCommand("mminterp: mechanistic interpretability of multimodal models on an Orleans cluster");
foreach (var command in CommandCatalog.All())
    root.Subcommands.Add(command);
return await root.Parse(args).InvokeAsync();
