using System.Diagnostics;
using System.Net;
using System.Net.WebSockets;
using System.Runtime;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;
using NotifyPush.Core.Diagnostics;
using NotifyPush.Server.Authentication;

namespace NotifyPush.Server.Hosting;

/// <summary>
/// Before <c>/readyz</c> says ready, the replica opens <see cref="WarmUpOptions.Sockets"/> sockets to itself over
/// loopback, each through the whole handshake (token validation, admission, the backplane subscription and its
/// confirmation, the store's stream state, welcome and synced) and closes them. A deploy puts a just-started replica
/// in front of thousands of reconnecting tabs at once: without this, they meet unoptimised code (the JIT's first tier,
/// dynamic PGO's instrumented one) and empty connection pools, and pay for both.
/// </summary>
/// <remarks>
/// <para>
/// The sockets' users are <c>notifypush-warm-up-{random}-{n}</c>, the random part new in every process, so no
/// outside token can pass for one. Their sockets are marked (<c>NotificationConnection.IsWarmUp</c>) and never
/// reported to presence; they do count in the connection metrics. Their tokens are signed with the configured HS256
/// <c>SigningKey</c> and never leave the process; with a public key or an authority the replica cannot sign one, and
/// the warm-up is skipped (logged).
/// </para>
/// <para>
/// It never keeps a replica out of service: a failure is logged and the replica reports ready, and so it does after
/// <see cref="WarmUpOptions.TimeoutSeconds"/> whatever happened. After the sockets it waits (at most 2 s) for the JIT
/// to go quiet, so the optimised code the sockets asked for is compiled before real traffic arrives.
/// </para>
/// </remarks>
public sealed partial class StartupWarmUp(
    IServer server,
    IHostApplicationLifetime lifetime,
    HmacUserTokenSigner signer,
    IOptions<WarmUpOptions> options,
    ILogger<StartupWarmUp> logger) : IHostedService, IDisposable
{
    private const string UserPrefix = "notifypush-warm-up-";
    private const int TokenLifetimeSeconds = 300;
    private static readonly TimeSpan JitQuietFor = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan JitWaitAtMost = TimeSpan.FromSeconds(2);

    private readonly string _userPrefix = $"{UserPrefix}{Guid.NewGuid():N}-";
    private readonly CancellationTokenSource _stopping = new();
    private volatile bool _done;
    private Task _run = Task.CompletedTask;

    /// <summary>True once the warm-up finished, failed, timed out or was turned off: the replica may report ready.</summary>
    public bool IsDone => _done;

    /// <summary>Whether <paramref name="userId"/> is one of this process's warm-up users.</summary>
    public bool IsWarmUpUser(string userId) => userId.StartsWith(_userPrefix, StringComparison.Ordinal);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Value.Sockets == 0)
        {
            _done = true;
            return Task.CompletedTask;
        }

        // The server listens only once every hosted service has started.
        lifetime.ApplicationStarted.Register(() => Volatile.Write(ref _run, Task.Run(RunAsync)));
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await Volatile.Read(ref _run).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    public void Dispose() => _stopping.Dispose();

    private async Task RunAsync()
    {
        var settings = options.Value;
        var started = Stopwatch.GetTimestamp();
        var opened = 0;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        timeout.CancelAfter(TimeSpan.FromSeconds(settings.TimeoutSeconds));
        try
        {
            if (!signer.CanSign)
            {
                Log.Skipped(logger, "the replica cannot sign a user token (a public key or an authority is configured, not an HS256 SigningKey)");
                return;
            }

            if (SocketUri(server) is not { } uri)
            {
                Log.Skipped(logger, "the server has no TCP address to connect to");
                return;
            }

            var methodsBefore = JitInfo.GetCompiledMethodCount();
            var next = -1;
            var workers = Enumerable.Range(0, Math.Min(settings.Concurrency, settings.Sockets)).Select(async _ =>
            {
                int n;
                while ((n = Interlocked.Increment(ref next)) < settings.Sockets)
                {
                    await OpenAndCloseAsync(uri, _userPrefix + n.ToString(System.Globalization.CultureInfo.InvariantCulture), timeout.Token).ConfigureAwait(false);
                    Interlocked.Increment(ref opened);
                }
            });
            await Task.WhenAll(workers).ConfigureAwait(false);
            await WaitForTheJitAsync(timeout.Token).ConfigureAwait(false);
            Log.Finished(logger, opened, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds, JitInfo.GetCompiledMethodCount() - methodsBefore);
        }
        catch (Exception ex) when (!_stopping.IsCancellationRequested)
        {
            Log.Failed(logger, opened, settings.Sockets, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds, ex);
        }
        catch (Exception) when (_stopping.IsCancellationRequested)
        {
            // Shutting down: nothing to warm up for.
        }
        finally
        {
            _done = true;
        }
    }

    private async Task OpenAndCloseAsync(Uri uri, string userId, CancellationToken cancellationToken)
    {
        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", "Bearer " + signer.Sign(userId, TokenLifetimeSeconds).Token);
        if (uri.Scheme == "wss")
        {
            // The replica's own certificate, reached over loopback under an address it may not name.
            socket.Options.RemoteCertificateValidationCallback = static (_, _, _, _) => true;
        }

        await socket.ConnectAsync(uri, cancellationToken).ConfigureAwait(false);
        var buffer = new byte[1024];
        while (true)
        {
            var count = 0;
            ValueWebSocketReceiveResult result;
            do
            {
                if (count == buffer.Length)
                {
                    Array.Resize(ref buffer, buffer.Length * 2);
                }

                result = await socket.ReceiveAsync(buffer.AsMemory(count), cancellationToken).ConfigureAwait(false);
                count += result.Count;
            }
            while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);

            if (result.MessageType == WebSocketMessageType.Close)
            {
                throw new WebSocketException($"a warm-up socket was closed with {(int?)socket.CloseStatus} ({socket.CloseStatusDescription}) before it synced");
            }

            if (buffer.AsSpan(0, count).IndexOf("\"type\":\"synced\""u8) >= 0)
            {
                break;
            }
        }

        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Waits until no method was compiled for <see cref="JitQuietFor"/> (tiering's background compiles are done), at most <see cref="JitWaitAtMost"/>.</summary>
    private static async Task WaitForTheJitAsync(CancellationToken cancellationToken)
    {
        var waited = TimeSpan.Zero;
        var last = JitInfo.GetCompiledMethodCount();
        while (waited < JitWaitAtMost)
        {
            await Task.Delay(JitQuietFor, cancellationToken).ConfigureAwait(false);
            waited += JitQuietFor;
            var now = JitInfo.GetCompiledMethodCount();
            if (now == last)
            {
                return;
            }

            last = now;
        }
    }

    /// <summary>The socket endpoint at one of the server's addresses, over loopback; null when it listens on none (a Unix socket only).</summary>
    internal static Uri? SocketUri(IServer server)
    {
        var addresses = server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        foreach (var address in addresses.OrderBy(static a => a.StartsWith("https:", StringComparison.OrdinalIgnoreCase) ? 1 : 0))
        {
            if (!Uri.TryCreate(address.Replace("://+", "://localhost", StringComparison.Ordinal).Replace("://*", "://localhost", StringComparison.Ordinal), UriKind.Absolute, out var bound)
                || bound.Host.Equals("unix", StringComparison.OrdinalIgnoreCase) || bound.Port <= 0)
            {
                continue;
            }

            var host = IPAddress.TryParse(bound.Host.Trim('[', ']'), out var ip)
                ? ip.Equals(IPAddress.Any) ? "127.0.0.1" : ip.Equals(IPAddress.IPv6Any) ? "[::1]" : bound.Host
                : bound.Host;
            var scheme = bound.Scheme == Uri.UriSchemeHttps ? "wss" : "ws";
            return new Uri($"{scheme}://{host}:{bound.Port}/ws");
        }

        return null;
    }

    private static partial class Log
    {
        [LoggerMessage(NotifyPushEventIds.WarmUpFinished, LogLevel.Information, "Warm-up: {SocketCount} sockets to this replica opened, synced and closed in {ElapsedMs} ms ({MethodCount} methods compiled); reporting ready.")]
        public static partial void Finished(ILogger logger, int socketCount, long elapsedMs, long methodCount);

        [LoggerMessage(NotifyPushEventIds.WarmUpSkipped, LogLevel.Information, "Warm-up skipped: {Reason}.")]
        public static partial void Skipped(ILogger logger, string reason);

        [LoggerMessage(NotifyPushEventIds.WarmUpFailed, LogLevel.Warning, "Warm-up stopped after {SocketCount} of {Planned} sockets in {ElapsedMs} ms; reporting ready without the rest.")]
        public static partial void Failed(ILogger logger, int socketCount, int planned, long elapsedMs, Exception exception);
    }
}
