using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace NotifyPush.Testing;

/// <summary>
/// A push service on loopback Kestrel (RFC 8030 push resources at <c>/push/{id}</c>), strict where the real ones are:
/// it verifies each request's VAPID token (ES256 under the server's public key, <c>aud</c> the endpoint's origin,
/// <c>exp</c> within 24 hours, <c>sub</c>) and decrypts its aes128gcm body with the subscription's private key. A request
/// that fails either is answered 400/401/403 and recorded in <see cref="Errors"/>. Answers per subscription can be
/// scripted: 201 by default, or 404/410/429/503 (with Retry-After), or held until the caller gives up.
/// </summary>
public sealed class PushServiceStandIn : IAsyncDisposable
{
    /// <summary>A scripted answer that never comes: the request hangs until its sender cancels it.</summary>
    public const int Hold = 0;

    private readonly WebApplication _app;
    private readonly byte[] _vapidPublicKey;
    private readonly string _subject;
    private readonly ConcurrentDictionary<string, BrowserSubscription> _subscriptions = new();
    private readonly ConcurrentDictionary<string, ConcurrentQueue<(int Status, int? RetryAfter)>> _answers = new();
    private readonly ConcurrentQueue<ReceivedPush> _received = new();
    private readonly ConcurrentQueue<string> _errors = new();
    private int _held;

    private PushServiceStandIn(WebApplication app, string vapidPublicKey, string subject)
    {
        _app = app;
        _vapidPublicKey = Base64Url.DecodeFromChars(vapidPublicKey);
        _subject = subject;
    }

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>Every push answered, in arrival order (held ones are not).</summary>
    public IReadOnlyList<ReceivedPush> Received => [.. _received];

    /// <summary>Why requests were refused (a bad token, a body that did not decrypt): empty when the server did it right.</summary>
    public IReadOnlyList<string> Errors => [.. _errors];

    /// <summary>Requests held open so far (<see cref="Hold"/>).</summary>
    public int HeldCount => Volatile.Read(ref _held);

    public static async Task<PushServiceStandIn> StartAsync(string vapidPublicKey, string subject = VapidKeyPair.Subject)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var standIn = new PushServiceStandIn(app, vapidPublicKey, subject);
        app.MapPost("/push/{id}", (HttpContext context, string id) => standIn.ReceiveAsync(context, id));
        await app.StartAsync().WaitAsync(TimeSpan.FromSeconds(30));
        standIn.BaseAddress = new Uri(app.Urls.First());
        return standIn;
    }

    /// <summary>A new browser subscription with an endpoint on this push service.</summary>
    public BrowserSubscription NewSubscription()
    {
        var id = Guid.NewGuid().ToString("N");
        var subscription = new BrowserSubscription(new Uri(BaseAddress, $"/push/{id}"));
        _subscriptions[id] = subscription;
        return subscription;
    }

    /// <summary>Scripts the next answer for the subscription; later pushes get 201 once the script is used up.</summary>
    public void Answer(BrowserSubscription subscription, int status, int? retryAfterSeconds = null) =>
        _answers.GetOrAdd(IdOf(subscription), _ => new()).Enqueue((status, retryAfterSeconds));

    /// <summary>The pushes to the subscription that were accepted (201).</summary>
    public IReadOnlyList<ReceivedPush> Delivered(BrowserSubscription subscription) =>
        Received.Where(push => push.SubscriptionId == IdOf(subscription) && push.Status == StatusCodes.Status201Created).ToList();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().WaitAsync(TimeSpan.FromSeconds(30));
        await _app.DisposeAsync();
        foreach (var subscription in _subscriptions.Values)
        {
            subscription.Dispose();
        }
    }

    private static string IdOf(BrowserSubscription subscription) => subscription.Endpoint.Segments[^1];

    private async Task<IResult> ReceiveAsync(HttpContext context, string id)
    {
        if (!_subscriptions.TryGetValue(id, out var subscription))
        {
            return Results.StatusCode(StatusCodes.Status404NotFound);
        }

        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
        var body = buffer.ToArray();
        var origin = $"{context.Request.Scheme}://{context.Request.Host}";
        if (VerifyVapid(context.Request.Headers.Authorization.ToString(), origin) is { } vapidError)
        {
            _errors.Enqueue(vapidError);
            return Results.StatusCode(StatusCodes.Status403Forbidden);
        }

        if (!string.Equals(context.Request.Headers.ContentEncoding, "aes128gcm", StringComparison.Ordinal))
        {
            _errors.Enqueue($"Content-Encoding is '{context.Request.Headers.ContentEncoding}', not aes128gcm.");
            return Results.StatusCode(StatusCodes.Status400BadRequest);
        }

        if (body.Length > 4096)
        {
            _errors.Enqueue($"The body is {body.Length} bytes, over 4096.");
            return Results.StatusCode(StatusCodes.Status413PayloadTooLarge);
        }

        if (!int.TryParse(context.Request.Headers["TTL"], NumberStyles.None, CultureInfo.InvariantCulture, out var ttl))
        {
            _errors.Enqueue("The TTL header is missing.");
            return Results.StatusCode(StatusCodes.Status400BadRequest);
        }

        JsonElement message;
        try
        {
            using var document = JsonDocument.Parse(Aes128GcmDecryption.Decrypt(body, subscription));
            message = document.RootElement.Clone();
        }
        catch (Exception exception) when (exception is CryptographicException or InvalidDataException or JsonException or ArgumentException)
        {
            _errors.Enqueue($"The body did not decrypt: {exception.Message}");
            return Results.StatusCode(StatusCodes.Status400BadRequest);
        }

        var (status, retryAfter) = _answers.TryGetValue(id, out var script) && script.TryDequeue(out var scripted)
            ? scripted
            : (StatusCodes.Status201Created, null);
        if (status == Hold)
        {
            Interlocked.Increment(ref _held);
            await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(static _ => { }, TaskScheduler.Default);
            return Results.Empty;
        }

        _received.Enqueue(new ReceivedPush(id, message, ttl, status));
        if (retryAfter is { } seconds)
        {
            context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        }

        return Results.StatusCode(status);
    }

    /// <summary>Null when the Authorization header holds a valid VAPID token (RFC 8292) for <paramref name="origin"/>, else why not.</summary>
    private string? VerifyVapid(string authorization, string origin)
    {
        if (!authorization.StartsWith("vapid ", StringComparison.Ordinal))
        {
            return $"Authorization is not the vapid scheme: '{authorization.Split(' ')[0]}'.";
        }

        var parameters = authorization["vapid ".Length..].Split(',')
            .Select(part => part.Trim().Split('=', 2))
            .Where(pair => pair.Length == 2)
            .ToDictionary(pair => pair[0], pair => pair[1], StringComparer.Ordinal);
        if (!parameters.TryGetValue("t", out var token) || !parameters.TryGetValue("k", out var key))
        {
            return "The vapid credentials lack t or k.";
        }

        if (!Base64Url.DecodeFromChars(key.TrimEnd('=')).AsSpan().SequenceEqual(_vapidPublicKey))
        {
            return "k is not the server's VAPID public key.";
        }

        var parts = token.Split('.');
        if (parts.Length != 3)
        {
            return "t is not a JWS.";
        }

        using var header = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[0]));
        if (header.RootElement.GetProperty("alg").GetString() != "ES256")
        {
            return "The token is not ES256.";
        }

        using var verifier = ECDsa.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint { X = _vapidPublicKey[1..33], Y = _vapidPublicKey[33..65] },
        });
        if (!verifier.VerifyData(Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), Base64Url.DecodeFromChars(parts[2]), HashAlgorithmName.SHA256))
        {
            return "The token's ES256 signature does not verify under the server's public key.";
        }

        using var claims = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[1]));
        var aud = claims.RootElement.GetProperty("aud").GetString();
        if (!string.Equals(aud, origin, StringComparison.Ordinal))
        {
            return $"aud is '{aud}', not the endpoint's origin '{origin}'.";
        }

        var exp = DateTimeOffset.FromUnixTimeSeconds(claims.RootElement.GetProperty("exp").GetInt64());
        var now = DateTimeOffset.UtcNow;
        if (exp <= now || exp > now.AddHours(24))
        {
            return $"exp {exp:O} is not within the next 24 hours.";
        }

        var sub = claims.RootElement.TryGetProperty("sub", out var subject) ? subject.GetString() : null;
        return string.Equals(sub, _subject, StringComparison.Ordinal) ? null : $"sub is '{sub}', not '{_subject}'.";
    }
}
