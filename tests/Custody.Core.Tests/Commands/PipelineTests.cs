using EvidenceVault.Custody.Ingest;
using EvidenceVault.Custody.Ledger;
using MediatR;
using Microsoft.Extensions.DependencyInjection;
using Serilog.Core;
using Serilog.Events;

namespace EvidenceVault.Custody.Tests.Commands;

public sealed class PipelineTests : IDisposable
{
    private readonly TestVault _vault = new();

    public void Dispose() => _vault.Dispose();

    [Fact]
    public void AddCustody_EveryRequestTheVaultDefines_HasAHandlerTheMediatorCanReach()
    {
        // A command without a registered handler would fail only when an officer first sends it.
        using var services = new ServiceCollection().AddCustody(_vault.Vault).BuildServiceProvider();
        var requests = typeof(Vault).Assembly.GetTypes()
            .Where(t => t is { IsClass: true, IsAbstract: false } && !t.IsGenericTypeDefinition)
            .SelectMany(t => t.GetInterfaces().Where(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IRequest<>)).Select(i => (Request: t, Result: i.GenericTypeArguments[0])))
            .ToList();

        requests.Should().HaveCountGreaterThan(15);
        foreach (var (request, result) in requests)
        {
            services.GetService(typeof(IRequestHandler<,>).MakeGenericType(request, result)).Should().NotBeNull($"{request.Name} is a request");
        }
    }

    [Fact]
    public async Task Send_RefusedCommand_IsLoggedByNameOnceAndNothingIsLedgered()
    {
        var events = new List<LogEvent>();
        var previous = Serilog.Log.Logger;
        Serilog.Log.Logger = new Serilog.LoggerConfiguration().MinimumLevel.Debug().WriteTo.Sink(new ListSink(events)).CreateLogger();
        try
        {
            using var services = new ServiceCollection().AddCustody(_vault.Vault).BuildServiceProvider();
            var before = _vault.Vault.Ledger.Size;
            var zone = "Mars/" + Guid.NewGuid().ToString("N"); // other tests log through the same static logger

            var act = () => services.GetRequiredService<IMediator>().Send(new IngestClip(new MemoryStream([1]), new ClipFacts { FileName = "x.mp4", TimeZone = zone }));

            await act.Should().ThrowAsync<FluentValidation.ValidationException>();
            _vault.Vault.Ledger.Size.Should().Be(before);
            events.Where(e => e.Properties.TryGetValue("Request", out var name) && name.ToString() == "\"IngestClip\"" && e.RenderMessage().Contains(zone, StringComparison.Ordinal))
                .Should().ContainSingle().Which.RenderMessage().Should().Contain("refused");
        }
        finally
        {
            Serilog.Log.Logger = previous;
        }
    }

    private sealed class ListSink(List<LogEvent> events) : ILogEventSink
    {
        public void Emit(LogEvent logEvent)
        {
            lock (events)
            {
                events.Add(logEvent);
            }
        }
    }
}
