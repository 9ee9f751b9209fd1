using MMInterp.Grains.Contracts;

namespace MMInterp.Client.Platform.Submissions;

/// <summary>A submitted id (of the job to start) is checked at the edge, with the field's name in the message.</summary>
static class RegistryIdsCheck
{
    public static void Optional(string? id, string field)
    {
        if (id is not null && !RegistryIds.IsValid(id))
            throw new ArgumentException($"{field} '{id}' is not a valid id (a letter or digit, then up to 127 of letters, digits and . _ : -)");
    }
}
