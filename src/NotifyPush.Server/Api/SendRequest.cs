namespace NotifyPush.Server.Api;

/// <summary>A validated <c>POST /api/notifications</c> body.</summary>
/// <param name="UserIds">Distinct recipients in request order (one element for <c>userId</c>).</param>
/// <param name="Type">The event type.</param>
/// <param name="PayloadJson">The payload as compact JSON (<c>null</c> when absent).</param>
/// <param name="TtlSeconds">Time to live.</param>
/// <param name="WebPush">The <c>webPush</c> member: push each recipient through Web Push when not connected (or not acking in time).</param>
public sealed record SendRequest(IReadOnlyList<string> UserIds, string Type, string PayloadJson, int TtlSeconds, NotifyPush.Core.Storage.WebPushContent? WebPush = null);
