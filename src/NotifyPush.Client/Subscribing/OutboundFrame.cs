namespace NotifyPush.Client.Subscribing;

/// <summary>A frame for a socket's writer. Acks carry no seq: the writer acks the newest processed seq when it gets there.</summary>
internal readonly record struct OutboundFrame(OutboundFrame.Kind Type, string? Token = null)
{
    public enum Kind
    {
        Pong,
        Ack,
        Auth,
        Close,
    }
}
