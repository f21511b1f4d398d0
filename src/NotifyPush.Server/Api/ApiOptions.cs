using System.ComponentModel.DataAnnotations;

namespace NotifyPush.Server.Api;

/// <summary>Limits of the service API. Section <c>NotifyPush:Api</c>.</summary>
public sealed class ApiOptions
{
    public const string SectionName = "NotifyPush:Api";

    /// <summary>Most user ids in one <c>userIds</c> fan-out. Default 10000.</summary>
    [Range(1, 100_000)]
    public int MaxFanOut { get; set; } = 10_000;

    /// <summary>Largest <c>payload</c> in bytes of compact UTF-8 JSON; larger gets 413. Default 65536.</summary>
    [Range(2, 16 * 1024 * 1024)]
    public int MaxPayloadBytes { get; set; } = 64 * 1024;

    /// <summary>Largest request body in bytes (payload plus the user id list); larger gets 413. Default 4194304.</summary>
    [Range(1024, 256 * 1024 * 1024)]
    public long MaxRequestBodyBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Longest <c>type</c> in characters. Default 128.</summary>
    [Range(1, 1024)]
    public int MaxTypeLength { get; set; } = 128;

    /// <summary>Longest <c>Idempotency-Key</c> header in characters. Default 255.</summary>
    [Range(1, 4096)]
    public int MaxIdempotencyKeyLength { get; set; } = 255;

    /// <summary>Time to live of a notification when the request gives none, in seconds. Default 604800 (7 days).</summary>
    [Range(1, int.MaxValue)]
    public int DefaultTtlSeconds { get; set; } = 7 * 24 * 3600;

    /// <summary>Longest allowed <c>ttlSeconds</c>. Default 2592000 (30 days).</summary>
    [Range(1, int.MaxValue)]
    public int MaxTtlSeconds { get; set; } = 30 * 24 * 3600;

    /// <summary>Default page size of the history endpoint. Default 100.</summary>
    [Range(1, 10_000)]
    public int DefaultHistoryLimit { get; set; } = 100;

    /// <summary>Largest page size of the history endpoint. Default 1000.</summary>
    [Range(1, 100_000)]
    public int MaxHistoryLimit { get; set; } = 1000;

    /// <summary>
    /// Requests per second each service credential may make (token bucket); 0 turns limiting off. With the Redis
    /// backplane the budget is shared by every replica; on the in-process backplane it is this replica's. Default 200.
    /// </summary>
    [Range(0, 1_000_000)]
    public int RateLimitPerSecond { get; set; } = 200;

    /// <summary>Burst size of each service's token bucket. Default 400.</summary>
    [Range(1, 10_000_000)]
    public int RateLimitBurst { get; set; } = 400;

    /// <summary>
    /// With the Redis backplane, milliseconds a request waits for the cluster-wide rate limit in Redis before this
    /// replica decides with its own bucket instead. Default 250.
    /// </summary>
    [Range(10, 10_000)]
    public int SharedRateLimitTimeoutMilliseconds { get; set; } = 250;

    /// <summary>Serve the API's OpenAPI document at <c>/openapi/v1.json</c> (no credential needed; it describes routes, not data). Default true.</summary>
    public bool OpenApiDocument { get; set; } = true;

    /// <summary>
    /// Seconds a caller is told to wait (<c>Retry-After</c>) on a 503 because a dependency is unavailable: the store,
    /// the backplane (a sign-out) or the presence directory. Default 5.
    /// </summary>
    [Range(1, 3600)]
    public int UnavailableRetryAfterSeconds { get; set; } = 5;

    /// <summary>
    /// The former name of <see cref="UnavailableRetryAfterSeconds"/>, from when it covered only the store. Still read
    /// when the new key is not set (<see cref="ApiOptionsFormerNames"/>), with a warning at start-up.
    /// </summary>
    [Range(1, 3600)]
    public int? StoreRetryAfterSeconds { get; set; }
}
