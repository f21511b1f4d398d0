namespace NotifyPush.Server.Api;

/// <summary>A send's <c>webPush</c> member as the OpenAPI document describes it (read by <c>WebPushContentReader</c>).</summary>
/// <param name="Title">The notification's title, 1 to 200 characters.</param>
/// <param name="Body">Its text, at most 1,000 characters (default empty).</param>
/// <param name="Url">Opened on click: an https URL or a path starting with one '/', at most 1,000 characters.</param>
/// <remarks>With type, title, body and url the push message must stay within 3,993 bytes of UTF-8 JSON (the encrypted push under 4 KB); larger is 400 naming <c>webPush</c>.</remarks>
public sealed record WebPushBody(string Title, string? Body, string? Url);
