using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace NotifyPush.Backplane.Redis;

/// <summary>Settings of the Redis backplane. Section <c>NotifyPush:Backplane</c>, beside the provider choice.</summary>
public sealed class RedisBackplaneOptions
{
    public const string SectionName = "NotifyPush:Backplane";

    /// <summary>StackExchange.Redis configuration string, e.g. <c>127.0.0.1:6379</c>. Required.</summary>
    [MaxLength(4096)]
    public string? Configuration { get; set; }

    /// <summary>Prefix of every Redis channel, so several deployments can share one Redis. Default <c>notifypush</c>.</summary>
    [Required]
    [RegularExpression(@"^[A-Za-z0-9_.\-]{1,64}$", ErrorMessage = "must be 1-64 characters of letters, digits, '_', '.', '-'.")]
    public string ChannelPrefix { get; set; } = "notifypush";

    /// <summary>
    /// <see cref="RedisBackplaneMode.Standalone"/> (one Redis, the default) or <see cref="RedisBackplaneMode.Cluster"/>
    /// (a Redis Cluster: sharded pub/sub, single-slot commands only). Every replica of a deployment must use the same.
    /// </summary>
    [EnumDataType(typeof(RedisBackplaneMode))]
    public RedisBackplaneMode Mode { get; set; } = RedisBackplaneMode.Standalone;

    /// <summary>
    /// Largest notification frame, in bytes, that a doorbell carries through Redis. A larger one (a large payload) is
    /// published as user and seq only and the receiving sockets read it from the store, so a fan-out does not copy its
    /// payload into every recipient's message. 0 sends no frame at all. Default 8192.
    /// </summary>
    [Range(0, 64 * 1024 * 1024)]
    public int InlineFrameMaxBytes { get; set; } = 8 * 1024;

    /// <summary>
    /// Most users whose doorbell is remembered (the newest seq, without its frame) while Redis is unreachable, to ring
    /// when it answers again. Beyond it their sockets catch up through the store. Default 100000.
    /// </summary>
    [Range(1, 10_000_000)]
    public int OwedDoorbellCapacity { get; set; } = 100_000;

    /// <summary>
    /// Most bytes the doorbells remembered during a Redis outage may hold (user ids and bookkeeping; frames are never
    /// kept). Beyond it their sockets catch up through the store. Default 33554432 (32 MiB).
    /// </summary>
    [Range(1024, 4L * 1024 * 1024 * 1024)]
    public long OwedDoorbellBytes { get; set; } = 32L * 1024 * 1024;

    /// <summary>
    /// PEM file of the certificate authority that signed Redis's TLS certificate, when it is not one the system
    /// trusts (a private CA). Used with <c>ssl=true</c> in <see cref="Configuration"/>. Default none (the system's).
    /// </summary>
    [MaxLength(4096)]
    public string? TlsCaCertificatePath { get; set; }
}

/// <summary>Source-generated validation of <see cref="RedisBackplaneOptions"/>' annotations.</summary>
[OptionsValidator]
public sealed partial class RedisBackplaneOptionsAnnotationsValidator : IValidateOptions<RedisBackplaneOptions>;
