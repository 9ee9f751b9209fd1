namespace MMInterp.Grains.Registry;

/// <summary>Base of every registry failure; the message is one line a person can act on.</summary>
public class RegistryException(string message, Exception? inner = null) : InvalidOperationException(message, inner);

/// <summary>The database cannot be reached, refused us, or lacks the registry schema.</summary>
public sealed class RegistryUnavailableException(string message, Exception? inner = null) : RegistryException(message, inner);

/// <summary>A row with this key already exists with different content.</summary>
public sealed class RegistryConflictException(string message, Exception? inner = null) : RegistryException(message, inner);

/// <summary>A row names another that does not exist (unknown model, run, artefact, ...), or is still referenced.</summary>
public sealed class RegistryReferenceException(string message, Exception? inner = null) : RegistryException(message, inner);

/// <summary>The row to change does not exist.</summary>
public sealed class RegistryNotFoundException(string message) : RegistryException(message);
