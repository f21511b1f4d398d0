namespace NotifyPush.Server.Endpoints;

/// <summary>The body of <c>POST /sse/ack</c>: everything up to <paramref name="Seq"/> is delivered (for the API description; the endpoint reads the body itself).</summary>
/// <param name="Seq">The highest seq the client has, at least 0 and not past the stream's last notification.</param>
public sealed record EventStreamAck(long Seq);
