using System.Text.Json;
using MMInterp.Grains.Lifecycle;
using MMInterp.Grains.Registry;
using MMInterp.Kernels.Artefacts;
using MMInterp.Kernels.Sae.Training;
using Npgsql;
using Orleans.Runtime;
using Xunit;

namespace MMInterp.Grains.Tests.Lifecycle;

/// <summary>The one classification every job grain uses: what running again would repeat is permanent, the rest is
/// transient; the reason is one line and never empty.</summary>
public sealed class JobFailureTests
{
    public static TheoryData<Exception> Permanent() => new()
    {
        new ArgumentException("K must be positive, got 0", "K"),
        new ArgumentOutOfRangeException("batch", "batch size 2147483647 is beyond the device's memory"),
        new InvalidDataException("shard 3 is corrupt: data_offsets overlap"),
        new FormatException("'abc' is not a number"),
        new JsonException("The JSON value could not be converted to SaeKind."),
        new NonFiniteTrainingException("m0", 12, "the loss", null),
        new OutOfMemoryException(),
        new ArtefactCorruptedException("ab12", "/store/ab/ab12", "hash mismatch"),
        new RegistryReferenceException("dictionaries refers to something not registered"),
        new AggregateException(new InvalidDataException("bad header")),
    };

    public static TheoryData<Exception> Transient() => new()
    {
        new TimeoutException("Response did not arrive on time"),
        new SiloUnavailableException("silo S127.0.0.1:11111:1 is dead"),
        new NpgsqlException("Failed to connect to 127.0.0.1:5432"),
        new RegistryUnavailableException("lost the connection to PostgreSQL at localhost"),
        new IOException("No space left on device"),
        new OperationCanceledException(),
        new InvalidOperationException("something unknown"),
    };

    [Theory, MemberData(nameof(Permanent))]
    public void BadSpecsDataSizesAndDeterministicKernelFailuresArePermanent(Exception e) =>
        Assert.Equal(FailureKind.Permanent, JobFailure.Classify(e));

    [Theory, MemberData(nameof(Transient))]
    public void LostSilosTimeoutsAnUnavailableDatabaseOrStoreAndCancellationAreTransient(Exception e) =>
        Assert.Equal(FailureKind.Transient, JobFailure.Classify(e));

    [Fact]
    public void TheReasonIsOneLineAndNeverEmpty()
    {
        Assert.Equal("K must be positive, got 0", JobFailure.Reason(new ArgumentException("K must be positive, got 0", "K")));
        Assert.Equal("first second", JobFailure.Reason(new IOException("first\n  second\n")));
        Assert.Equal("bad header", JobFailure.Reason(new AggregateException(new InvalidDataException("bad header"))));
        Assert.Equal(nameof(InvalidDataException), JobFailure.Reason(new InvalidDataException(" ")));
    }

    [Fact]
    public void TransientFailuresBackOffAndGiveUpAtTheLimit()
    {
        var timing = new JobOptions { RetryDelays = [TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30)], MaxAttempts = 3 };
        var state = new MMInterp.Grains.Experiments.ExperimentState();
        var first = JobRetry.Decide(state, new TimeoutException("t1"), timing);
        var second = JobRetry.Decide(state, new TimeoutException("t2"), timing);
        var third = JobRetry.Decide(state, new TimeoutException("t3"), timing);
        Assert.Equal((true, TimeSpan.FromSeconds(5)), (first.Retry, first.Delay));
        Assert.Equal((true, TimeSpan.FromSeconds(30)), (second.Retry, second.Delay));
        Assert.False(third.Retry);
        Assert.Equal("gave up after 3 failed attempts; last error: t3", third.Reason);

        var fresh = new MMInterp.Grains.Experiments.ExperimentState();
        var permanent = JobRetry.Decide(fresh, new InvalidDataException("corrupt"), timing);
        Assert.Equal((false, "corrupt", 0), (permanent.Retry, permanent.Reason, fresh.TransientFailures));
        Assert.Equal(TimeSpan.FromSeconds(30), timing.RetryDelay(7));
    }

    [Fact]
    public void AnETagConflictIsStaleStateNotAFailure()
    {
        Assert.True(JobFailure.IsStaleState(new Orleans.Storage.InconsistentStateException("ETag mismatch", "e1", "e2")));
        Assert.False(JobFailure.IsStaleState(new TimeoutException()));
    }
}
