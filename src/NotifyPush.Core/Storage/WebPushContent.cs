namespace NotifyPush.Core.Storage;

/// <summary>What a browser shows for a notification pushed through Web Push (the send's <c>webPush</c> member).</summary>
/// <param name="Title">The notification's title.</param>
/// <param name="Body">Its text; may be empty.</param>
/// <param name="Url">Opened on click: an https URL or a path relative to the page's origin; null opens nothing.</param>
public sealed record WebPushContent(string Title, string Body, string? Url);
