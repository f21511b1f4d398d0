using System.Net;
using System.Net.Sockets;

namespace NotifyPush.Server.Tests.Topology;

/// <summary>
/// nginx running <c>docker/nginx.conf</c>, the file the compose deployment mounts, rendered for replicas on loopback
/// ports: only the upstream addresses, the listen address and the log paths change, nothing else.
/// </summary>
public sealed class NginxProcess : IAsyncDisposable
{
    /// <summary>The upstream servers as docker/nginx.conf names them (compose service names).</summary>
    public static readonly string[] TemplateUpstreams = ["notifypush-1:8080", "notifypush-2:8080", "notifypush-3:8080"];

    private const string TemplateListen = "listen 80;";
    private const string TemplateAccessLog = "/var/log/nginx/access.log";
    private const string TemplateErrorLog = "/var/log/nginx/error.log";

    private readonly ChildProcess _process;

    private NginxProcess(ChildProcess process, string directory, int port)
    {
        _process = process;
        Directory = directory;
        BaseAddress = new Uri($"http://127.0.0.1:{port}");
    }

    /// <summary>The folder with the rendered configuration and the logs.</summary>
    public string Directory { get; }

    public Uri BaseAddress { get; }

    public string AccessLogPath => Path.Combine(Directory, "access.log");

    public string ErrorLogPath => Path.Combine(Directory, "error.log");

    /// <summary>Environment variable with the nginx executable; scripts/test.sh sets it.</summary>
    public const string ExecutableVariable = "NOTIFYPUSH_TEST_NGINX";

    /// <summary>The nginx executable, or a failure that says how to install it: this test is never skipped.</summary>
    public static string RequireExecutable()
    {
        var candidates = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Append("/usr/sbin")
            .Select(directory => Path.Combine(directory, "nginx"))
            .Prepend(Environment.GetEnvironmentVariable(ExecutableVariable) ?? string.Empty)
            .Where(path => path.Length > 0);
        return candidates.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException(
                "nginx is not installed, so the load-balancer topology cannot be tested. Install it (Debian: " +
                "apt-get install nginx-light) or run the tests with 'bash scripts/test.sh', which installs it when missing.");
    }

    /// <summary>
    /// <paramref name="template"/> with the compose upstreams replaced by <paramref name="upstreams"/>, nginx listening
    /// on <paramref name="port"/> and logging into <paramref name="directory"/>. Fails when a string it replaces is not
    /// in the template exactly once, so the test never quietly runs a configuration other than the shipped one.
    /// </summary>
    public static string Render(string template, IReadOnlyList<string> upstreams, int port, string directory)
    {
        if (upstreams.Count != TemplateUpstreams.Length)
        {
            throw new ArgumentException($"docker/nginx.conf lists {TemplateUpstreams.Length} replicas; got {upstreams.Count} addresses.", nameof(upstreams));
        }

        var rendered = template;
        for (var i = 0; i < upstreams.Count; i++)
        {
            rendered = ReplaceOnce(rendered, $"server {TemplateUpstreams[i]} ", $"server {upstreams[i]} ");
        }

        rendered = ReplaceOnce(rendered, TemplateListen, $"listen 127.0.0.1:{port};");
        rendered = ReplaceOnce(rendered, TemplateAccessLog, Path.Combine(directory, "access.log"));
        return ReplaceOnce(rendered, TemplateErrorLog, Path.Combine(directory, "error.log"));
    }

    /// <summary>Renders the template into a new folder, checks it with <c>nginx -t</c> and starts nginx on a free port.</summary>
    public static async Task<(NginxProcess Nginx, string TestOutput)> StartAsync(string executable, string template, IReadOnlyList<string> upstreams, string directory, TimeSpan timeout)
    {
        System.IO.Directory.CreateDirectory(directory);
        var configuration = Path.Combine(directory, "nginx.conf");

        // A free port can be taken by someone else before nginx binds it; then try another.
        for (var attempt = 1; ; attempt++)
        {
            var port = FreePorts.One();
            await File.WriteAllTextAsync(configuration, Render(template, upstreams, port, directory));

            var check = await ChildProcess.RunAsync("nginx -t", executable, Arguments(directory, configuration, "-t"), directory, timeout);
            if (check.ExitCode != 0)
            {
                throw new InvalidOperationException($"nginx -t rejected the rendered docker/nginx.conf ({configuration}):\n{check.Output}");
            }

            var process = ChildProcess.Start("nginx", executable, Arguments(directory, configuration, "-g", $"daemon off; pid {Path.Combine(directory, "nginx.pid")};"), directory);
            var nginx = new NginxProcess(process, directory, port);
            if (await nginx.WaitUntilListeningAsync(timeout))
            {
                return (nginx, check.Output);
            }

            await nginx.DisposeAsync();
            if (attempt == 3)
            {
                throw new InvalidOperationException($"nginx did not start on 127.0.0.1:{port}. Output:\n{process.Output}\nError log:\n{ReadIfExists(Path.Combine(directory, "error.log"))}");
            }
        }
    }

    /// <summary>Stops nginx (SIGQUIT: finish open requests, then exit) so every log line is written.</summary>
    public async Task StopAsync(TimeSpan timeout)
    {
        if (_process.HasExited)
        {
            return;
        }

        await _process.SignalAsync("QUIT");
        try
        {
            await _process.WaitForExitAsync(timeout);
        }
        catch (TimeoutException)
        {
            // WaitForExitAsync killed it; the logs are as complete as nginx left them.
        }
    }

    public string ReadAccessLog() => ReadIfExists(AccessLogPath);

    public string ReadErrorLog() => ReadIfExists(ErrorLogPath);

    public string Output => _process.Output;

    public ValueTask DisposeAsync() => _process.DisposeAsync();

    private static string[] Arguments(string prefix, string configuration, params string[] extra) =>
        // -e: the start-up error log, before the configuration's own error_log takes over (the built-in default
        // may be a system path); -p: the prefix for any relative path.
        ["-p", prefix + "/", "-c", configuration, "-e", Path.Combine(prefix, "startup-error.log"), .. extra];

    private async Task<bool> WaitUntilListeningAsync(TimeSpan timeout)
    {
        try
        {
            return await Poll.UntilAsync(
                async () =>
                {
                    try
                    {
                        using var client = new TcpClient();
                        await client.ConnectAsync(IPAddress.Loopback, BaseAddress.Port);
                        return true;
                    }
                    catch (SocketException)
                    {
                        return false;
                    }
                },
                listening => listening || _process.HasExited,
                $"nginx listens on {BaseAddress.Port}",
                timeout) && !_process.HasExited;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    private static string ReplaceOnce(string text, string oldValue, string newValue)
    {
        var first = text.IndexOf(oldValue, StringComparison.Ordinal);
        if (first < 0 || text.IndexOf(oldValue, first + oldValue.Length, StringComparison.Ordinal) >= 0)
        {
            throw new InvalidOperationException($"docker/nginx.conf must contain '{oldValue}' exactly once; the topology test renders the file by replacing it.");
        }

        return string.Concat(text.AsSpan(0, first), newValue, text.AsSpan(first + oldValue.Length));
    }

    private static string ReadIfExists(string path) => File.Exists(path) ? File.ReadAllText(path) : string.Empty;
}
