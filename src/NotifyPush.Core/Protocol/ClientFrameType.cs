namespace NotifyPush.Core.Protocol;

/// <summary>The frames a client may send.</summary>
public enum ClientFrameType
{
    Ack,
    Pong,
    Auth,
}
