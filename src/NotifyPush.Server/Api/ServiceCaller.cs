namespace NotifyPush.Server.Api;

/// <summary>The authenticated service behind an API request; idempotency keys and rate limits are scoped to it.</summary>
public sealed record ServiceCaller(string Name)
{
    private static readonly object ItemKey = new();

    public static ServiceCaller Get(HttpContext context) =>
        context.Items[ItemKey] as ServiceCaller ?? throw new InvalidOperationException("The request was not authenticated as a service.");

    internal void Set(HttpContext context) => context.Items[ItemKey] = this;
}
