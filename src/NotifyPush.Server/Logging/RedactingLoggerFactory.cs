using System.Collections.Concurrent;

namespace NotifyPush.Server.Logging;

/// <summary>
/// Wraps the real <see cref="ILoggerFactory"/> so that every logger it hands out, including the
/// framework's own (e.g. <c>Microsoft.AspNetCore.Hosting.Diagnostics</c> "Request starting …"),
/// redacts credentials before any provider sees the event.
/// </summary>
internal sealed class RedactingLoggerFactory : ILoggerFactory
{
    private readonly ILoggerFactory _inner;
    private readonly ConcurrentDictionary<string, RedactingLogger> _loggers = new(StringComparer.Ordinal);

    public RedactingLoggerFactory(ILoggerFactory inner)
    {
        _inner = inner;
    }

    // The inner factory's loggers pick up providers added later, so caching the wrappers is safe.
    public ILogger CreateLogger(string categoryName) =>
        _loggers.GetOrAdd(categoryName, static (name, inner) => new RedactingLogger(inner.CreateLogger(name)), _inner);

    public void AddProvider(ILoggerProvider provider) => _inner.AddProvider(provider);

    public void Dispose() => _inner.Dispose();
}
