using FluentValidation;
using MediatR;
using Microsoft.Extensions.DependencyInjection;

namespace EvidenceVault.Custody.Commands;

/// <summary>
/// One request, one path: every transport (CLI verb, dock agent, HTTP endpoint) sends the same
/// command through MediatR, whose pipeline validates it (FluentValidation, naming each field and
/// rule) and logs it (Serilog) before its handler runs. Each concern is written once, here.
/// </summary>
public static class Pipeline
{
    /// <summary>The mediator over <paramref name="services"/>: MediatR 5 resolves handlers and behaviours through a factory.</summary>
    internal static IMediator Mediator(IServiceProvider services) => new Mediator(services.GetService);
}

/// <summary>Refuses a request any of its validators rejects; nothing is recorded for it.</summary>
internal sealed class ValidationBehavior<TRequest, TResponse>(IEnumerable<IValidator<TRequest>> validators) : IPipelineBehavior<TRequest, TResponse>
{
    public async Task<TResponse> Handle(TRequest request, CancellationToken cancellationToken, RequestHandlerDelegate<TResponse> next)
    {
        foreach (var validator in validators)
        {
            var result = await validator.ValidateAsync(request, cancellationToken).ConfigureAwait(false);
            if (!result.IsValid)
            {
                throw new ValidationException(result.Errors);
            }
        }

        return await next().ConfigureAwait(false);
    }
}

/// <summary>One structured event per request: its name, how it ended and how long it took.</summary>
internal sealed class LoggingBehavior<TRequest, TResponse> : IPipelineBehavior<TRequest, TResponse>
{
    public async Task<TResponse> Handle(TRequest request, CancellationToken cancellationToken, RequestHandlerDelegate<TResponse> next)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            var response = await next().ConfigureAwait(false);
            Serilog.Log.Debug("{Request} done in {Elapsed:0.0} ms", typeof(TRequest).Name, System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            return response;
        }
        catch (Exception e)
        {
            Serilog.Log.Information("{Request} refused after {Elapsed:0.0} ms: {Reason}", typeof(TRequest).Name, System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds, e.Message);
            throw;
        }
    }
}
