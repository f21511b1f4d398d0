namespace NotifyPush.Server.WebPush;

/// <summary>The answer of <c>GET /push/vapid-public-key</c>.</summary>
/// <param name="PublicKey">The server's VAPID public key, base64url: the <c>applicationServerKey</c> of <c>pushManager.subscribe</c>.</param>
public sealed record VapidPublicKeyResponse(string PublicKey);
