namespace NotifyPush.Server.Admin;

/// <summary>One push subscription as the admin view shows it.</summary>
/// <param name="Host">The push service's host, e.g. <c>fcm.googleapis.com</c>.</param>
/// <param name="CreatedAt">When the browser saved it.</param>
public sealed record AdminPushSubscription(string Host, DateTimeOffset CreatedAt);
