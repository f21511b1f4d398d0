using System.ComponentModel.DataAnnotations;

namespace NotifyPush.Server.WebPush;

/// <summary>
/// Web Push to users with no open connection. Section <c>NotifyPush:WebPush</c>. On when <see cref="Subject"/>,
/// <see cref="PublicKey"/> and <see cref="PrivateKey"/> are all set; off (the <c>/push</c> routes answer 404, a send
/// with <c>webPush</c> 400) when none is.
/// </summary>
public sealed class WebPushOptions
{
    public const string SectionName = "NotifyPush:WebPush";

    /// <summary>
    /// The push services' hosts a subscription may name when <see cref="AllowedEndpointHosts"/> is not set: Chrome and
    /// Chromium-based browsers (FCM), Firefox (Mozilla autopush), Safari (Apple), Edge (WNS, any subdomain).
    /// </summary>
    public static readonly IReadOnlyList<string> DefaultAllowedEndpointHosts =
        ["fcm.googleapis.com", "updates.push.services.mozilla.com", "web.push.apple.com", ".notify.windows.com"];

    /// <summary>VAPID contact (<c>sub</c> claim): a <c>mailto:</c> or <c>https:</c> URI. No default.</summary>
    public string? Subject { get; set; }

    /// <summary>VAPID public key: the uncompressed P-256 point (65 bytes), base64url. No default.</summary>
    public string? PublicKey { get; set; }

    /// <summary>VAPID private key: the P-256 scalar (32 bytes), base64url. A secret, never logged. No default.</summary>
    public string? PrivateKey { get; set; }

    /// <summary>
    /// Hosts a subscription's endpoint may name: an exact host (<c>fcm.googleapis.com</c>), or an entry starting with a
    /// dot (<c>.notify.windows.com</c>) for any subdomain of it (not the name itself). Default
    /// <see cref="DefaultAllowedEndpointHosts"/>.
    /// </summary>
    public string[]? AllowedEndpointHosts { get; set; }

    /// <summary>Allow <c>http</c> endpoints and any port (tests with a local push-service stand-in only). Default false.</summary>
    public bool AllowInsecureEndpoints { get; set; }

    /// <summary>Seconds to wait for an ack before pushing to a user who had an open connection; offline users get the push at once. Default 30.</summary>
    [Range(0, 86_400)]
    public int DelaySeconds { get; set; } = 30;

    /// <summary>Most push subscriptions one user may hold; one more is refused with 409. Default 10.</summary>
    [Range(1, 1000)]
    public int MaxSubscriptionsPerUser { get; set; } = 10;

    /// <summary>Push attempts per notification while push services answer 429/5xx or do not answer; then it is given up. Default 5.</summary>
    [Range(1, 50)]
    public int MaxAttempts { get; set; } = 5;

    /// <summary>Longest wait before a retry in seconds, whatever a push service's Retry-After asks. Default 3600.</summary>
    [Range(1, 86_400)]
    public int MaxRetryDelaySeconds { get; set; } = 3600;

    /// <summary>Seconds a worker holds a claimed push before another replica may take it over. Default 60.</summary>
    [Range(5, 3600)]
    public int LeaseSeconds { get; set; } = 60;

    /// <summary>How often each replica looks for due pushes, in milliseconds (a send on this replica wakes it at once). Default 1000.</summary>
    [Range(50, 60_000)]
    public int PollIntervalMilliseconds { get; set; } = 1000;

    /// <summary>Most pushes claimed in one pass. Default 100.</summary>
    [Range(1, 1000)]
    public int BatchSize { get; set; } = 100;

    /// <summary>Timeout of one request to a push service, in seconds. Default 10.</summary>
    [Range(1, 120)]
    public int RequestTimeoutSeconds { get; set; } = 10;

    /// <summary>True when the VAPID identity is configured.</summary>
    public bool Enabled => !string.IsNullOrWhiteSpace(Subject) && !string.IsNullOrWhiteSpace(PublicKey) && !string.IsNullOrWhiteSpace(PrivateKey);

    /// <summary>The configured hosts, or the defaults.</summary>
    public IReadOnlyList<string> EffectiveAllowedEndpointHosts =>
        AllowedEndpointHosts is { Length: > 0 } hosts ? hosts : DefaultAllowedEndpointHosts;
}
