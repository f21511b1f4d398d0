using Microsoft.Extensions.Logging;

namespace NotifyPush.Backplane.Redis.Tests;

/// <summary>An <see cref="ILogger{T}"/> that keeps every entry, to check what is logged and how often.</summary>
internal sealed class RecordingLogger<T> : ILogger<T>
{
    private readonly List<(LogLevel Level, EventId EventId, string Message)> _entries = [];

    public IReadOnlyList<(LogLevel Level, EventId EventId, string Message)> Entries
    {
        get
        {
            lock (_entries)
            {
                return _entries.ToArray();
            }
        }
    }

    /// <summary>How many entries with this event id were logged at this level.</summary>
    public int Count(int eventId, LogLevel level) =>
        Entries.Count(entry => entry.EventId.Id == eventId && entry.Level == level);

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (_entries)
        {
            _entries.Add((logLevel, eventId, formatter(state, exception)));
        }
    }
}
