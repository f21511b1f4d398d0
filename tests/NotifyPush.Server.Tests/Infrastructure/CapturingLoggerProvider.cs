using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace NotifyPush.Server.Tests.Infrastructure;

/// <summary>Keeps every log line in memory so tests can assert on what was (and was not) logged.</summary>
public sealed class CapturingLoggerProvider(ConcurrentQueue<CapturedLog> sink) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new CapturingLogger(categoryName, sink);

    public void Dispose()
    {
    }

    private sealed class CapturingLogger(string category, ConcurrentQueue<CapturedLog> sink) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var values = state as IReadOnlyList<KeyValuePair<string, object?>> ?? [];
            sink.Enqueue(new CapturedLog(category, logLevel, eventId, formatter(state, exception) + (exception is null ? string.Empty : " " + exception), [.. values]));
        }
    }
}
