using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace NotifyPush.Server.Tests.Infrastructure;

/// <summary>One captured log event: its formatted message, structured state values, scopes and exception text.</summary>
public sealed record CapturedLog(
    string Category,
    LogLevel Level,
    EventId EventId,
    string Message,
    IReadOnlyList<KeyValuePair<string, string?>> StateValues,
    IReadOnlyList<string> Scopes,
    string? Exception)
{
    /// <summary>Every piece of text the event carries, for "never appears anywhere" assertions.</summary>
    public IEnumerable<string> AllText()
    {
        yield return Message;
        foreach (var (key, value) in StateValues)
        {
            yield return key;
            if (value is not null)
            {
                yield return value;
            }
        }

        foreach (var scope in Scopes)
        {
            yield return scope;
        }

        if (Exception is not null)
        {
            yield return Exception;
        }
    }
}

/// <summary>A logger provider that records every event (at every level the filters let through).</summary>
public sealed class CapturingLoggerProvider : ILoggerProvider, ISupportExternalScope
{
    private readonly ConcurrentQueue<CapturedLog> _logs = new();
    private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

    public IReadOnlyList<CapturedLog> Logs => [.. _logs];

    public ILogger CreateLogger(string categoryName) => new CapturingLogger(this, categoryName);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public void Dispose()
    {
    }

    private sealed class CapturingLogger(CapturingLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => owner._scopes.Push(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var values = new List<KeyValuePair<string, string?>>();
            if (state is IEnumerable<KeyValuePair<string, object?>> pairs)
            {
                foreach (var (key, value) in pairs)
                {
                    values.Add(new(key, value?.ToString()));
                }
            }

            var scopes = new List<string>();
            owner._scopes.ForEachScope(
                static (scope, list) =>
                {
                    list.Add(scope?.ToString() ?? "");
                    if (scope is IEnumerable<KeyValuePair<string, object?>> scopePairs)
                    {
                        foreach (var (key, value) in scopePairs)
                        {
                            list.Add(key + "=" + value);
                        }
                    }
                },
                scopes);

            owner._logs.Enqueue(new CapturedLog(category, logLevel, eventId, formatter(state, exception), values, scopes, exception?.ToString()));
        }
    }
}
