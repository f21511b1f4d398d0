using System.IO.Compression;
using System.Xml.Linq;

namespace NotifyPush.Client.Tests.Publishing;

/// <summary><c>dotnet pack</c> of the client: the package a service would install, with its metadata, docs, licence and symbols, used from a project of its own.</summary>
[Collection(ClientPackageCollection.Name)]
public sealed class ClientPackageTests
{
    [Fact]
    public async Task DotnetPack_MakesAPackageWithMetadataReadmeLicenceXmlDocsAndSymbols_ThatAScratchProjectInstallsAndSendsWith()
    {
        var output = Path.Combine(Path.GetTempPath(), "notifypush-tests", $"pack-{Guid.NewGuid():N}");
        Directory.CreateDirectory(output);
        try
        {
            // --no-build: packs what the test run built (Release), without rebuilding a DLL the tests have loaded.
            var pack = await ChildProcess.RunAsync(
                "dotnet pack",
                "dotnet",
                ["pack", RepositoryFiles.PathOf("src/NotifyPush.Client/NotifyPush.Client.csproj"), "-c", "Release", "--no-build", "-o", output, "-nologo"],
                RepositoryFiles.Root,
                TimeSpan.FromMinutes(3));
            Assert.True(pack.ExitCode == 0, $"dotnet pack failed ({pack.ExitCode}):\n{pack.Output}");

            var package = Path.Combine(output, "NotifyPush.Client.0.1.0.nupkg");
            Assert.True(File.Exists(package), $"no {Path.GetFileName(package)} in {string.Join(", ", Directory.GetFiles(output).Select(Path.GetFileName))}");
            Assert.True(File.Exists(Path.Combine(output, "NotifyPush.Client.0.1.0.snupkg")), "the symbols package is made");

            using var zip = ZipFile.OpenRead(package);
            var entries = zip.Entries.Select(e => e.FullName).ToHashSet(StringComparer.Ordinal);
            Assert.Contains("lib/net10.0/NotifyPush.Client.dll", entries);
            Assert.Contains("lib/net10.0/NotifyPush.Client.xml", entries);
            Assert.Contains("README.md", entries);
            Assert.Contains("LICENSE", entries);

            XNamespace ns;
            XElement metadata;
            using (var nuspec = zip.GetEntry("NotifyPush.Client.nuspec")!.Open())
            {
                var document = XDocument.Load(nuspec);
                ns = document.Root!.GetDefaultNamespace();
                metadata = document.Root.Element(ns + "metadata")!;
            }

            Assert.Equal("NotifyPush.Client", metadata.Element(ns + "id")?.Value);
            Assert.Equal("0.1.0", metadata.Element(ns + "version")?.Value);
            Assert.Equal("MIT", metadata.Element(ns + "license")?.Value);
            Assert.Equal("expression", metadata.Element(ns + "license")?.Attribute("type")?.Value);
            Assert.Equal("README.md", metadata.Element(ns + "readme")?.Value);
            Assert.False(string.IsNullOrWhiteSpace(metadata.Element(ns + "description")?.Value));
            Assert.False(string.IsNullOrWhiteSpace(metadata.Element(ns + "authors")?.Value));

            // SourceLink: the package names the repository (Directory.Build.props) and the commit its sources are at.
            var repository = metadata.Element(ns + "repository");
            Assert.Equal("git", repository?.Attribute("type")?.Value);
            Assert.StartsWith("https://", repository?.Attribute("url")?.Value ?? string.Empty, StringComparison.Ordinal);
            Assert.Matches("^[0-9a-f]{40}$", repository?.Attribute("commit")?.Value ?? string.Empty);
            Assert.Equal(repository?.Attribute("url")?.Value, metadata.Element(ns + "projectUrl")?.Value);

            var dependencies = metadata.Element(ns + "dependencies")!.Elements(ns + "group").Single(g => g.Attribute("targetFramework")?.Value == "net10.0");
            Assert.Equal(["Microsoft.Extensions.Http"], dependencies.Elements(ns + "dependency").Select(d => d.Attribute("id")!.Value));

            // Every public member is documented (CS1591 is an error for this project); the docs ship beside the DLL.
            using (var docs = zip.GetEntry("lib/net10.0/NotifyPush.Client.xml")!.Open())
            {
                var members = XDocument.Load(docs).Descendants("member").Select(m => m.Attribute("name")!.Value).ToList();
                Assert.Contains("T:NotifyPush.Client.Publishing.NotifyPushPublisher", members);
                Assert.Contains(members, m => m.StartsWith("M:Microsoft.Extensions.DependencyInjection.NotifyPushPublisherServiceCollectionExtensions.AddNotifyPushPublisher", StringComparison.Ordinal));
            }

            await UseFromAScratchProjectAsync(output);
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

    /// <summary>
    /// A console app of its own, outside the repository, installs the package from the folder it was packed to (with
    /// a packages folder of its own, so no earlier copy in the machine's cache stands in), registers the publisher with
    /// <c>AddNotifyPushPublisher</c> and sends to a real server's socket.
    /// </summary>
    private static async Task UseFromAScratchProjectAsync(string packages)
    {
        using var server = new NotifyPushTestServer();
        var user = $"scratch-{Guid.NewGuid():N}";
        await using var socket = await TestSocket.ConnectAsync(server, user);
        await socket.ReadUntilSyncedAsync();

        var app = Path.Combine(packages, "app");
        Directory.CreateDirectory(app);
        await File.WriteAllTextAsync(Path.Combine(app, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="notifypush-packed" value="{packages}" />
              </packageSources>
            </configuration>
            """);
        await File.WriteAllTextAsync(Path.Combine(app, "Scratch.csproj"), """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
                <RestorePackagesPath>packages-cache</RestorePackagesPath>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="NotifyPush.Client" Version="0.1.0" />
              </ItemGroup>
            </Project>
            """);
        await File.WriteAllTextAsync(Path.Combine(app, "Program.cs"), """
            using Microsoft.Extensions.DependencyInjection;
            using NotifyPush.Client.Publishing;

            var services = new ServiceCollection();
            services.AddNotifyPushPublisher(options =>
            {
                options.BaseAddress = new Uri(args[0]);
                options.Credential = NotifyPushCredential.ApiKey(args[1]);
            });
            using var provider = services.BuildServiceProvider();
            var result = await provider.GetRequiredService<NotifyPushPublisher>().SendAsync(args[2], "scratch.sent", new { From = "package" });
            Console.WriteLine($"seq {result.Notifications[0].Seq}");
            """);

        var (exitCode, text) = await RunAsync(app, "run", "--", server.BaseAddress.ToString(), NotifyPushTestServer.ApiKey, user);
        Assert.True(exitCode == 0, $"the scratch app failed ({exitCode}):\n{text}");
        Assert.Contains("seq 1", text, StringComparison.Ordinal);
        var frame = (await socket.ReadNotificationsAsync(1))[0];
        Assert.Equal("scratch.sent", frame.GetProperty("event").GetString());
        Assert.Equal("package", frame.GetProperty("payload").GetProperty("from").GetString());
    }

    // The scratch app is not part of this repository's build: the test host's MSBuild settings must not leak in.
    private static Task<(int ExitCode, string Output)> RunAsync(string directory, params string[] arguments) =>
        ChildProcess.RunAsync($"dotnet {arguments[0]}", "dotnet", arguments, directory, TimeSpan.FromMinutes(5), unset: ["MSBuildExtensionsPath", "MSBUILD_EXE_PATH", "MSBuildSDKsPath"]);
}
