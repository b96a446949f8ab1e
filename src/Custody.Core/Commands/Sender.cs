using FluentValidation;
using Microsoft.Extensions.DependencyInjection;

namespace EvidenceVault.Custody.Commands;

/// <summary>A command or query with its result type. Same shape as MediatR's, which cannot be restored here.</summary>
public interface IRequest<TResult>;

public interface IRequestHandler<in TRequest, TResult>
    where TRequest : IRequest<TResult>
{
    Task<TResult> Handle(TRequest request, CancellationToken cancellationToken);
}

/// <summary>
/// One request, one path: every transport (CLI verb, dock agent, HTTP endpoint) sends the same
/// command through here, which validates it (FluentValidation, naming each field and rule) and runs its handler.
/// </summary>
public interface ISender
{
    Task<TResult> Send<TResult>(IRequest<TResult> request, CancellationToken cancellationToken = default);
}

internal sealed class Sender(IServiceProvider services) : ISender
{
    public Task<TResult> Send<TResult>(IRequest<TResult> request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var dispatch = typeof(Sender).GetMethod(nameof(Dispatch), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!
            .MakeGenericMethod(request.GetType(), typeof(TResult));
        return (Task<TResult>)dispatch.Invoke(this, [request, cancellationToken])!;
    }

    private async Task<TResult> Dispatch<TRequest, TResult>(TRequest request, CancellationToken cancellationToken)
        where TRequest : IRequest<TResult>
    {
        foreach (var validator in services.GetServices<IValidator<TRequest>>())
        {
            var result = await validator.ValidateAsync(request, cancellationToken).ConfigureAwait(false);
            if (!result.IsValid)
            {
                throw new ValidationException(result.Errors);
            }
        }

        var handler = services.GetRequiredService<IRequestHandler<TRequest, TResult>>();
        return await handler.Handle(request, cancellationToken).ConfigureAwait(false);
    }
}
