using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR;

namespace NotifyPush.Peers.SignalR;

/// <summary>NotifyPush's <c>POST /api/notifications</c>: the same body, API key header and 202 answer; nothing is stored.</summary>
internal static class NotificationsApi
{
    public static void MapNotificationsApi(this WebApplication app, string apiKey)
    {
        var expected = Encoding.UTF8.GetBytes("ApiKey " + apiKey);
        app.MapPost("/api/notifications", async Task<IResult> (HttpContext context, SendBody body, SeqCounter seqs, IHubContext<NotificationHub> hub) =>
        {
            if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(context.Request.Headers.Authorization.ToString()), expected))
            {
                return TypedResults.Unauthorized();
            }

            string[] users = body.UserId is { } one ? [one] : body.UserIds ?? [];
            if (users.Length == 0 || string.IsNullOrEmpty(body.Type))
            {
                return TypedResults.BadRequest();
            }

            var createdAt = DateTimeOffset.UtcNow;
            var sent = new SentNotification[users.Length];
            var sends = new Task[users.Length];
            for (var i = 0; i < users.Length; i++)
            {
                var id = Guid.NewGuid();
                // Numbered and handed to the backplane in one step, so a user's notifications reach Redis in seq order.
                sends[i] = seqs.Next(users[i], n => hub.Clients.User(users[i]).SendAsync(
                    "notification", new PeerNotification(n, id, body.Type, body.Payload, createdAt), context.RequestAborted), out var seq);
                sent[i] = new SentNotification(users[i], id, seq);
            }

            await Task.WhenAll(sends);
            return TypedResults.Accepted((string?)null, new SendAnswer(sent));
        });
    }
}

/// <summary>The request body; <c>ttlSeconds</c> is accepted and ignored: nothing is stored to expire.</summary>
internal sealed record SendBody(string? UserId, string[]? UserIds, string Type, JsonElement Payload, int? TtlSeconds);

internal sealed record SentNotification(string UserId, Guid Id, long Seq);

internal sealed record SendAnswer(SentNotification[] Notifications);

/// <summary>What a client receives as the argument of <c>notification</c>: NotifyPush's frame without its <c>type</c>.</summary>
internal sealed record PeerNotification(long Seq, Guid Id, string Event, JsonElement Payload, DateTimeOffset CreatedAt);
