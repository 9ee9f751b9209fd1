using Microsoft.Extensions.Hosting;

namespace MMInterp.Silo.Hosting;

/// <summary>A host lifetime that does nothing: an in-process silo is started and stopped by its owner, not by signals.</summary>
sealed class EmbeddedLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
