using System.CommandLine;

namespace MMInterp.Client.Commands;

/// <summary>Every top-level command of the CLI, one line each.</summary>
public static class CommandCatalog
{
    public static IEnumerable<Command> All()
    {
        yield return VersionCommand.Create();
        yield return ShapesCommand.Create();
        yield return ZooCommand.Create();
        yield return DiffusionCommand.Create();
        yield return ProbeCommand.Create();
        yield return VlmCommand.Create();
        yield return RegistryCommand.Create();
        yield return ModelsCommand.Create();
        yield return DatasetsCommand.Create();
        yield return DictionariesCommand.Create();
        yield return ExtractCommand.Create();
        yield return TrainSaeCommand.Create();
        yield return SweepCommand.Create();
        yield return StatusCommand.Create();
        yield return CancelCommand.Create();
        yield return AnalyzeCommand.Create();
        yield return QuickstartCommand.Create();
        yield return ServeCommand.Create();
        yield return TokenCommand.Create();
    }
}
