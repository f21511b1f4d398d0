namespace NotifyPush.Server.WebPush;

/// <summary>The body of <c>DELETE /push/subscriptions</c>: which of the user's subscriptions to remove.</summary>
/// <param name="Endpoint">The subscription's endpoint, as it was saved.</param>
public sealed record PushUnsubscribeBody(string Endpoint);
