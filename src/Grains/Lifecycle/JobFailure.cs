using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.Json;
using MMInterp.Grains.Registry;
using MMInterp.Kernels.Artefacts;
using MMInterp.Kernels.Sae.Training;
using Npgsql;

namespace MMInterp.Grains.Lifecycle;

/// <summary>Whether running a failed job again could succeed.</summary>
public enum FailureKind
{
    /// <summary>Running again would fail the same way: a bad spec, bad or corrupt input, an impossible size, a
    /// deterministic exception of a kernel. The job ends as failed with the reason and is never retried.</summary>
    Permanent,
    /// <summary>The world was in the way: a lost silo, a timeout, the database or the store unavailable, the work
    /// stopped. The job retries with backoff, up to <see cref="JobOptions.MaxAttempts"/>.</summary>
    Transient,
}

/// <summary>
/// The one classification of job failures, used by every job, run, pack, sweep, experiment and zoo build. What is not
/// known to be permanent counts as transient: a retry is bounded, so an unknown deterministic failure still ends.
/// </summary>
public static class JobFailure
{
    public static FailureKind Classify(Exception e)
    {
        e = Unwrap(e);
        return e switch
        {
            // Bad spec or config: an argument, a number or a JSON value that cannot be right.
            ArgumentException or FormatException or JsonException or OverflowException or NotSupportedException => FailureKind.Permanent,
            // Bad or corrupt input data (checkpoint, shard, safetensors, artefact whose bytes do not hash to its name).
            InvalidDataException or ArtefactCorruptedException or ArtefactNotFoundException or KeyNotFoundException => FailureKind.Permanent,
            // A kernel that failed deterministically (a diverged run fails again from the same checkpoint).
            NonFiniteTrainingException => FailureKind.Permanent,
            // A spec whose sizes do not fit in memory (managed, or libtorch's allocator).
            OutOfMemoryException => FailureKind.Permanent,
            ExternalException x when IsAllocationFailure(x.Message) => FailureKind.Permanent,
            // The registry said no to the content itself (a conflicting record, an unknown reference, a missing row).
            RegistryConflictException or RegistryReferenceException or RegistryNotFoundException => FailureKind.Permanent,
            PostgresException { IsTransient: false } p when !p.SqlState.StartsWith("08", StringComparison.Ordinal)
                && !p.SqlState.StartsWith("57", StringComparison.Ordinal) && !p.SqlState.StartsWith("53", StringComparison.Ordinal)
                => FailureKind.Permanent,
            // Everything else (TimeoutException, Orleans' SiloUnavailableException and message rejections,
            // NpgsqlException, RegistryUnavailableException, IOException of the store, OperationCanceledException).
            _ => FailureKind.Transient,
        };
    }

    /// <summary>Another activation wrote the job's state since this one read it (an ETag conflict): this activation's
    /// copy is stale, so it must not go on (nor count a failure); the next activation reads the stored state.</summary>
    public static bool IsStaleState(Exception e) => Unwrap(e) is Orleans.Storage.InconsistentStateException;

    /// <summary>The failure as one line a person can act on; never empty.</summary>
    public static string Reason(Exception e)
    {
        e = Unwrap(e);
        var message = e is ArgumentException a && a.ParamName is { } p ? a.Message.Replace($" (Parameter '{p}')", "") : e.Message;
        var line = string.Join(' ', message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        return string.IsNullOrWhiteSpace(line) ? e.GetType().Name : line;
    }

    static Exception Unwrap(Exception e)
    {
        while (true)
        {
            switch (e)
            {
                case AggregateException { InnerExceptions.Count: > 0 } ag: e = ag.InnerExceptions[0]; continue;
                case TargetInvocationException { InnerException: { } inner }: e = inner; continue;
                case TypeInitializationException { InnerException: { } inner }: e = inner; continue;
                default: return e;
            }
        }
    }

    static bool IsAllocationFailure(string message) =>
        message.Contains("out of memory", StringComparison.OrdinalIgnoreCase)
        || message.Contains("can't allocate memory", StringComparison.OrdinalIgnoreCase)
        || message.Contains("not enough memory", StringComparison.OrdinalIgnoreCase);
}
