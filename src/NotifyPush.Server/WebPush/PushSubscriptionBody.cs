namespace NotifyPush.Server.WebPush;

/// <summary>
/// The body of <c>POST /push/subscriptions</c>: a browser's <c>PushSubscription.toJSON()</c> as is
/// (<c>expirationTime</c> is accepted and not used).
/// </summary>
/// <param name="Endpoint">The push service's URL for this browser: https, on an allowed push-service host (<c>NotifyPush:WebPush:AllowedEndpointHosts</c>), at most 1,024 characters.</param>
/// <param name="Keys">The browser's encryption keys.</param>
/// <param name="ExpirationTime">The browser's expiry of the subscription (ignored: a push service's 404/410 ends it).</param>
public sealed record PushSubscriptionBody(string Endpoint, PushSubscriptionKeys Keys, double? ExpirationTime = null);
