using Microsoft.AspNetCore.Http.Features;
using NotifyPush.Core.Connections;

namespace NotifyPush.Server.Endpoints;

/// <summary>
/// Puts a <see cref="CoalescingStream"/> under every WebSocket accepted on <c>/ws</c>: the upgrade features are
/// decorated before <c>UseWebSockets</c> reads them, so the WebSocket the endpoint accepts writes to that stream,
/// and the endpoint finds its cork in <see cref="IWriteCoalescerFeature"/>.
/// </summary>
internal static class SocketWriteCoalescing
{
    /// <summary>Call before <c>UseWebSockets</c>.</summary>
    public static IApplicationBuilder UseSocketWriteCoalescing(this IApplicationBuilder app) =>
        app.Use(static (context, next) =>
        {
            if (context.Request.Path.Equals(NotificationSocketEndpoint.Path, StringComparison.Ordinal))
            {
                var holder = new CoalescerFeature();
                context.Features.Set<IWriteCoalescerFeature>(holder);
                if (context.Features.Get<IHttpUpgradeFeature>() is { } upgrade)
                {
                    context.Features.Set<IHttpUpgradeFeature>(new CoalescingUpgradeFeature(upgrade, holder));
                }

                if (context.Features.Get<IHttpExtendedConnectFeature>() is { } connect)
                {
                    context.Features.Set<IHttpExtendedConnectFeature>(new CoalescingConnectFeature(connect, holder));
                }
            }

            return next(context);
        });

    private sealed class CoalescerFeature : IWriteCoalescerFeature
    {
        public IWriteCoalescer? Coalescer { get; set; }

        public Stream Wrap(Stream transport)
        {
            var stream = new CoalescingStream(transport);
            Coalescer = stream;
            return stream;
        }
    }

    private sealed class CoalescingUpgradeFeature(IHttpUpgradeFeature inner, CoalescerFeature holder) : IHttpUpgradeFeature
    {
        public bool IsUpgradableRequest => inner.IsUpgradableRequest;

        public async Task<Stream> UpgradeAsync() => holder.Wrap(await inner.UpgradeAsync().ConfigureAwait(false));
    }

    private sealed class CoalescingConnectFeature(IHttpExtendedConnectFeature inner, CoalescerFeature holder) : IHttpExtendedConnectFeature
    {
        public bool IsExtendedConnect => inner.IsExtendedConnect;

        public string? Protocol => inner.Protocol;

        public async ValueTask<Stream> AcceptAsync() => holder.Wrap(await inner.AcceptAsync().ConfigureAwait(false));
    }
}

/// <summary>The cork of the socket accepted on this request; null until the upgrade, or when no coalescing is in place.</summary>
internal interface IWriteCoalescerFeature
{
    IWriteCoalescer? Coalescer { get; }
}
