using System.ComponentModel.DataAnnotations;

namespace NotifyPush.Core.Options;

/// <summary>Which backplane connects the replicas. Section <c>NotifyPush:Backplane</c>.</summary>
public sealed class BackplaneOptions
{
    public const string SectionName = "NotifyPush:Backplane";

    /// <summary><c>InProcess</c> (single replica, default) or <c>Redis</c>.</summary>
    public BackplaneProvider Provider { get; set; } = BackplaneProvider.InProcess;

    /// <summary>StackExchange.Redis configuration string, e.g. <c>127.0.0.1:6379</c>. Required for Redis.</summary>
    [MaxLength(4096)]
    public string? Configuration { get; set; }

    /// <summary>Prefix of every Redis channel, so several deployments can share one Redis. Default <c>notifypush</c>.</summary>
    [Required]
    [RegularExpression(@"^[A-Za-z0-9_.\-]{1,64}$", ErrorMessage = "must be 1-64 characters of letters, digits, '_', '.', '-'.")]
    public string ChannelPrefix { get; set; } = "notifypush";
}
