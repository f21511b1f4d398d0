namespace NotifyPush.Server.Logging;

/// <summary>Passes log events on to the real logger with credentials redacted from the message, the state values and scopes.</summary>
internal sealed class RedactingLogger : ILogger
{
    private readonly ILogger _inner;

    public RedactingLogger(ILogger inner)
    {
        _inner = inner;
    }

    public bool IsEnabled(LogLevel logLevel) => _inner.IsEnabled(logLevel);

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull
    {
        var redacted = RedactedLogState.TryCreateScope(state);
        return redacted is null ? _inner.BeginScope(state) : _inner.BeginScope(redacted);
    }

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        // Checked first so a disabled level costs no inspection of the state.
        if (!_inner.IsEnabled(logLevel))
        {
            return;
        }

        var safeException = RedactedException.Wrap(exception);
        var redacted = RedactedLogState.TryCreate(state, safeException, formatter);
        if (redacted is null)
        {
            _inner.Log(logLevel, eventId, state, safeException, formatter);
        }
        else
        {
            _inner.Log(logLevel, eventId, redacted, safeException, static (s, _) => s.ToString());
        }
    }
}
