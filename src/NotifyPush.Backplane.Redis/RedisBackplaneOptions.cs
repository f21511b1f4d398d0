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
    /// PEM file of the certificate authority that signed Redis's TLS certificate, when it is not one the system
    /// trusts (a private CA). Used with <c>ssl=true</c> in <see cref="Configuration"/>. Default none (the system's).
    /// </summary>
    [MaxLength(4096)]
    public string? TlsCaCertificatePath { get; set; }
}

/// <summary>Source-generated validation of <see cref="RedisBackplaneOptions"/>' annotations.</summary>
[OptionsValidator]
public sealed partial class RedisBackplaneOptionsAnnotationsValidator : IValidateOptions<RedisBackplaneOptions>;
