using System.Text.Json;

namespace NotifyPush.Client.Publishing;

/// <summary>Settings of a <see cref="NotifyPushPublisher"/>.</summary>
public sealed class NotifyPushPublisherOptions
{
    /// <summary>The server's address, e.g. <c>https://notify.example.com/</c>; default the <c>HttpClient</c>'s <c>BaseAddress</c>.</summary>
    public Uri? BaseAddress { get; set; }

    /// <summary>The service credential sent with every request; null when the <c>HttpClient</c> already authenticates (a default header or a handler).</summary>
    public NotifyPushCredential? Credential { get; set; }

    /// <summary>Retries of failed calls; see <see cref="NotifyPushRetryOptions"/>.</summary>
    public NotifyPushRetryOptions Retry { get; set; } = new();

    /// <summary>How payload objects are serialized. Default <see cref="JsonSerializerDefaults.Web"/> (camelCase).</summary>
    public JsonSerializerOptions? SerializerOptions { get; set; }

    /// <summary>The clock for retry delays and time budgets. Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}
