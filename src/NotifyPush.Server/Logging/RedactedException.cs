namespace NotifyPush.Server.Logging;

/// <summary>
/// Stands in for a logged exception whose text holds a credential (e.g. a bad-request exception
/// quoting <c>/ws?access_token=…</c>): same stack trace and shape, redacted message and text.
/// </summary>
internal sealed class RedactedException : Exception
{
    private readonly Exception _original;
    private readonly string _text;

    private RedactedException(Exception original, string text)
        : base(AccessTokenRedactor.Redact(original.Message))
    {
        _original = original;
        _text = text;
        HResult = original.HResult;
    }

    public override string? StackTrace => _original.StackTrace;

    public override string? Source
    {
        get => _original.Source;
        set { }
    }

    /// <summary>The exception to log in place of <paramref name="exception"/>: itself unless its text holds a credential.</summary>
    public static Exception? Wrap(Exception? exception)
    {
        if (exception is null)
        {
            return null;
        }

        var text = exception.ToString();
        return AccessTokenRedactor.MayContainToken(text)
            ? new RedactedException(exception, AccessTokenRedactor.Redact(text))
            : exception;
    }

    public override string ToString() => _text;
}
