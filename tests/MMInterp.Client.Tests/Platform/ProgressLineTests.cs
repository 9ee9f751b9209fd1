using MMInterp.Client.Platform;
using MMInterp.Grains.Contracts.Jobs;
using Xunit;

namespace MMInterp.Client.Tests.Platform;

/// <summary>The words beside the CLI's bar come from the grain status alone: a training's live step and figures, a
/// sweep's runs and best running figures, an analysis' stage; a finished run falls back to done/total.</summary>
public sealed class ProgressLineTests
{
    static JobProgress Status(string kind, int done, int total, JobPhase phase = JobPhase.Running) =>
        new("x", kind, phase, done, total, null, DateTimeOffset.UtcNow);

    [Fact]
    public void ATrainingShowsItsStepAndLiveFigures()
    {
        var p = Status("training", 312, 2000) with { Live = new TrainingFigures(312, 2000, 0.0123, 0.084, 31.94) };
        Assert.Equal("step 312/2000 loss 0.0123 FVU 0.0840 L0 31.9", ProgressLine.Of(p));
        Assert.Equal(0.156, p.Fraction, 6);
    }

    [Fact]
    public void ANonFiniteFigureIsLeftOut() =>
        Assert.Equal("step 5/10 loss 1.5 L0 2.0",
            ProgressLine.Of(Status("training", 5, 10) with { Live = new TrainingFigures(5, 10, 1.5, double.NaN, 2) }));

    [Fact]
    public void ASweepShowsItsRunsAndBestRunningFigures()
    {
        var p = Status("sweep", 1, 4) with { Live = new TrainingFigures(2500, 8000, 0.5, 0.25, 12), Note = "1/4 runs done" };
        Assert.Equal("1/4 runs done, step 2500/8000, best running loss 0.5 FVU 0.2500 L0 12.0", ProgressLine.Of(p));
        Assert.Equal(2500.0 / 8000, p.Fraction, 6);
    }

    [Fact]
    public void AnAnalysisShowsItsStage() =>
        Assert.Equal("20/100 steering: clamp features, random-direction control",
            ProgressLine.Of(Status("clip-study", 20, 100) with { Note = "steering: clamp features, random-direction control" }));

    [Fact]
    public void AFinishedRunShowsDoneOverTotal()
    {
        var p = Status("training", 2000, 2000, JobPhase.Succeeded) with { Live = new TrainingFigures(1999, 2000, 1, 1, 1) };
        Assert.Equal("2000/2000", ProgressLine.Of(p));
        Assert.Equal(1, p.Fraction);
    }
}
