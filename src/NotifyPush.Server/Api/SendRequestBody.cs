using System.Text.Json;

namespace NotifyPush.Server.Api;

/// <summary>
/// The body of <c>POST /api/notifications</c> as the OpenAPI document describes it. The endpoint reads the JSON itself
/// (<see cref="SendRequestReader"/>) so that each invalid member gets its own error; this type gives the document
/// its schema.
/// </summary>
/// <param name="UserId">The recipient. Give this or <c>userIds</c>, not both.</param>
/// <param name="UserIds">Recipients of a fan-out (one notification each, one round trip to the store), at most <c>NotifyPush:Api:MaxFanOut</c> (10,000); duplicates count once.</param>
/// <param name="Type">The application's event type, e.g. <c>order.shipped</c>, at most <c>NotifyPush:Api:MaxTypeLength</c> characters; sent to sockets as <c>event</c>.</param>
/// <param name="Payload">Any JSON value, at most <c>NotifyPush:Api:MaxPayloadBytes</c> (64 KiB) as compact UTF-8; sent to sockets as is.</param>
/// <param name="TtlSeconds">Seconds the notification is kept while undelivered, 1 to <c>NotifyPush:Api:MaxTtlSeconds</c>; default <c>NotifyPush:Api:DefaultTtlSeconds</c> (7 days).</param>
/// <param name="WebPush">Optional: also push it through Web Push to each recipient's browsers (<c>POST /push/subscriptions</c>) when the recipient has no open connection, or has not acknowledged it within <c>NotifyPush:WebPush:DelaySeconds</c>. Only when Web Push is enabled (400 otherwise).</param>
public sealed record SendRequestBody(string? UserId, IReadOnlyList<string>? UserIds, string Type, JsonElement? Payload, int? TtlSeconds, WebPushBody? WebPush = null);
