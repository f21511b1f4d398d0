using System.Buffers;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using NotifyPush.Client.Problems;

namespace NotifyPush.Client.Publishing;

/// <summary>
/// Sends notifications through NotifyPush's service API, reads a user's history and signs users out. Every send
/// carries an <c>Idempotency-Key</c> (generated unless given) that all its retries reuse, so retrying after a 5xx, a
/// timeout or a dropped connection stores the notification exactly once. Errors are thrown as
/// <see cref="NotifyPushException"/> subclasses. Thread-safe; share one instance per server.
/// </summary>
/// <example>
/// <code>
/// var publisher = new NotifyPushPublisher(httpClient, new NotifyPushPublisherOptions
/// {
///     BaseAddress = new Uri("https://notify.example.com/"),
///     Credential = NotifyPushCredential.ApiKey(apiKey),
/// });
/// var result = await publisher.SendAsync("u1", "order.shipped", new { orderId = 1234 });
/// </code>
/// </example>
public sealed partial class NotifyPushPublisher
{
    private const string IdempotencyKeyHeader = "Idempotency-Key";
    private static readonly JsonSerializerOptions DefaultSerializerOptions = new(JsonSerializerDefaults.Web);
    private static readonly JsonSerializerOptions ResponseOptions = new(JsonSerializerDefaults.Web);

    private readonly HttpClient _http;
    private readonly NotifyPushPublisherOptions _options;
    private readonly Uri _baseAddress;

    /// <summary>Creates a publisher over <paramref name="httpClient"/>, which it does not dispose.</summary>
    /// <exception cref="ArgumentException">Neither the options nor the client have a base address.</exception>
    public NotifyPushPublisher(HttpClient httpClient, NotifyPushPublisherOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(httpClient);
        _http = httpClient;
        _options = options ?? new NotifyPushPublisherOptions();
        _options.Retry.Validate();
        var baseAddress = _options.BaseAddress ?? httpClient.BaseAddress
            ?? throw new ArgumentException("Set NotifyPushPublisherOptions.BaseAddress or the HttpClient's BaseAddress.", nameof(options));
        // Relative paths below resolve under the base, also when NotifyPush is served under a path prefix.
        _baseAddress = baseAddress.AbsoluteUri.EndsWith('/') ? baseAddress : new Uri(baseAddress.AbsoluteUri + "/");
    }

    /// <summary>Sends one notification to one user.</summary>
    /// <param name="userId">The recipient.</param>
    /// <param name="type">The app-defined type, e.g. <c>order.shipped</c>; clients receive it as <c>event</c>.</param>
    /// <param name="payload">Any object (serialized with System.Text.Json), a <see cref="JsonElement"/> (written as is), or null for none.</param>
    /// <param name="options">Idempotency key and time to live; defaults when null.</param>
    /// <param name="cancellationToken">Cancels the send, retries included.</param>
    /// <returns>The stored notification (and whether it was an idempotent replay).</returns>
    public Task<SendResult> SendAsync(string userId, string type, object? payload = null, NotificationSendOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(userId);
        return SendCoreAsync(userId, null, type, payload, options, cancellationToken);
    }

    /// <summary>Sends the same notification to many users (fan-out): one notification per user, stored in one transaction.</summary>
    /// <param name="userIds">The recipients, 1 to the server's <c>MaxFanOut</c> (10,000), each once.</param>
    /// <param name="type">The app-defined type; clients receive it as <c>event</c>.</param>
    /// <param name="payload">Any object, a <see cref="JsonElement"/>, or null for none.</param>
    /// <param name="options">Idempotency key and time to live; defaults when null.</param>
    /// <param name="cancellationToken">Cancels the send, retries included.</param>
    /// <returns>One stored notification per recipient, in the order of <paramref name="userIds"/>.</returns>
    public Task<SendResult> SendAsync(IReadOnlyList<string> userIds, string type, object? payload = null, NotificationSendOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(userIds);
        return SendCoreAsync(null, userIds, type, payload, options, cancellationToken);
    }

    /// <summary>Reads a page of a user's stream: notifications with seq after <paramref name="after"/>, oldest first, and the delivery state.</summary>
    /// <param name="userId">The user.</param>
    /// <param name="after">Return notifications with a higher seq; 0 for the start.</param>
    /// <param name="limit">Page size, 1 to the server's <c>MaxHistoryLimit</c> (1000); default the server's (100).</param>
    /// <param name="cancellationToken">Cancels the call, retries included.</param>
    public async Task<NotificationHistory> GetHistoryAsync(string userId, long after = 0, int? limit = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(userId);
        var path = $"api/users/{Uri.EscapeDataString(userId)}/notifications?after={after.ToString(CultureInfo.InvariantCulture)}"
            + (limit is { } size ? $"&limit={size.ToString(CultureInfo.InvariantCulture)}" : string.Empty);
        var (response, attempts) = await SendWithRetriesAsync(() => new HttpRequestMessage(HttpMethod.Get, new Uri(_baseAddress, path)), "GET history", null, cancellationToken).ConfigureAwait(false);
        using (response)
        {
            return await ReadJsonAsync<NotificationHistory>(response, "GET history", attempts, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Signs a user out: every socket of the user, on every replica, is closed with 4003. It does not revoke the user's
    /// token; stop issuing tokens to the user as well. Retried while the backplane is unavailable (503).
    /// </summary>
    public async Task DisconnectUserAsync(string userId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(userId);
        var uri = new Uri(_baseAddress, $"api/users/{Uri.EscapeDataString(userId)}/disconnect");
        var (response, _) = await SendWithRetriesAsync(() => new HttpRequestMessage(HttpMethod.Post, uri), "POST disconnect", null, cancellationToken).ConfigureAwait(false);
        response.Dispose();
    }

    private async Task<SendResult> SendCoreAsync(string? userId, IReadOnlyList<string>? userIds, string type, object? payload, NotificationSendOptions? options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(type);
        var idempotencyKey = options?.IdempotencyKey ?? Guid.NewGuid().ToString("N");
        // Serialized once: every attempt sends the same bytes, which is what makes the key's replay match.
        var body = WriteBody(userId, userIds, type, payload, options?.TimeToLive);
        var uri = new Uri(_baseAddress, "api/notifications");
        const string operation = "POST api/notifications";

        HttpRequestMessage CreateRequest()
        {
            var content = new ByteArrayContent(body);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
            var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = content };
            request.Headers.TryAddWithoutValidation(IdempotencyKeyHeader, idempotencyKey);
            return request;
        }

        var (response, attempts) = await SendWithRetriesAsync(CreateRequest, operation, idempotencyKey, cancellationToken).ConfigureAwait(false);
        using (response)
        {
            var replayed = response.Headers.TryGetValues("Idempotent-Replayed", out var values)
                && values.Any(v => string.Equals(v, "true", StringComparison.OrdinalIgnoreCase));
            var sent = await ReadJsonAsync<SendResponseBody>(response, operation, attempts, cancellationToken).ConfigureAwait(false);
            return new SendResult(sent.Notifications, replayed, idempotencyKey, attempts);
        }
    }

    private byte[] WriteBody(string? userId, IReadOnlyList<string>? userIds, string type, object? payload, TimeSpan? timeToLive)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            if (userIds is null)
            {
                writer.WriteString("userId", userId);
            }
            else
            {
                writer.WriteStartArray("userIds");
                foreach (var id in userIds)
                {
                    writer.WriteStringValue(id);
                }

                writer.WriteEndArray();
            }

            writer.WriteString("type", type);
            if (payload is not null)
            {
                writer.WritePropertyName("payload");
                JsonSerializer.Serialize(writer, payload, payload.GetType(), _options.SerializerOptions ?? DefaultSerializerOptions);
            }

            if (timeToLive is { } ttl)
            {
                writer.WriteNumber("ttlSeconds", (long)Math.Ceiling(ttl.TotalSeconds));
            }

            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static async Task<T> ReadJsonAsync<T>(HttpResponseMessage response, string operation, int attempts, CancellationToken cancellationToken)
    {
        try
        {
            var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            return await JsonSerializer.DeserializeAsync<T>(stream, ResponseOptions, cancellationToken).ConfigureAwait(false)
                ?? throw new JsonException("The body is JSON null.");
        }
        catch (JsonException ex)
        {
            throw new NotifyPushException($"{operation} answered {(int)response.StatusCode} with a body that is not the expected JSON: {ex.Message}", ex) { Attempts = attempts };
        }
    }

    /// <summary>The body of a 202 answer.</summary>
    private sealed record SendResponseBody(IReadOnlyList<SentNotification> Notifications);
}
