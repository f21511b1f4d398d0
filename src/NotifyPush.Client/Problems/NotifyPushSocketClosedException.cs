namespace NotifyPush.Client.Problems;

/// <summary>
/// The subscriber stopped for good because the server closed the socket with a code after which reconnecting would
/// not help (1008 policy violation, 1009 frame too large, 4400 malformed frame, 4003 signed out), or refused the
/// handshake with a status that a retry repeats (400, 403).
/// </summary>
public class NotifyPushSocketClosedException : NotifyPushException
{
    internal NotifyPushSocketClosedException(int closeCode, string? closeReason, string message)
        : base(message)
    {
        CloseCode = closeCode;
        CloseReason = closeReason;
    }

    /// <summary>The WebSocket close code (see <c>NotifyPushCloseCodes</c>), or 1006 for a refused handshake.</summary>
    public int CloseCode { get; }

    /// <summary>The server's close reason, e.g. <c>signed out</c>, or the refused handshake's status.</summary>
    public string? CloseReason { get; }
}
