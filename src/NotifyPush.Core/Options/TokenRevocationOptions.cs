using System.ComponentModel.DataAnnotations;

namespace NotifyPush.Core.Options;

/// <summary>
/// How a replica caches users' token revocations (see <c>TokenRevocations</c>). Read from the section
/// <c>NotifyPush:Auth</c>, beside the server's other credential settings.
/// </summary>
public sealed class TokenRevocationOptions
{
    public const string SectionName = "NotifyPush:Auth";

    /// <summary>
    /// Seconds a replica reuses a user's revocation state read from the store, and so the longest a replica that
    /// holds no socket of the user may still accept a token revoked meanwhile on another replica. 0 reads the store
    /// at every handshake and refresh. Default 10.
    /// </summary>
    [Range(0, 3600)]
    public int RevocationCacheSeconds { get; set; } = 10;

    /// <summary>Most users whose revocation state a replica caches; beyond it, lookups go to the store uncached. Default 100,000.</summary>
    [Range(1, 10_000_000)]
    public int RevocationCacheMaxUsers { get; set; } = 100_000;
}
