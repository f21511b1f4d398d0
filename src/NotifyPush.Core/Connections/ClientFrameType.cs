namespace NotifyPush.Core.Connections;

/// <summary>The frames a client may send.</summary>
public enum ClientFrameType
{
    Ack,
    Pong,
    Auth,
}
