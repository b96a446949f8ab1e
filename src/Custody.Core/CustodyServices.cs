using EvidenceVault.Custody.Commands;
using FluentValidation;
using MediatR;
using Microsoft.Extensions.DependencyInjection;

namespace EvidenceVault.Custody;

/// <summary>Registers the custody commands with their validators, for any host: CLI, agent, worker or API.</summary>
public static class CustodyServices
{
    public static IServiceCollection AddCustody(this IServiceCollection services, Vault vault)
    {
        services.AddSingleton(vault);
        services.AddSingleton(Pipeline.Mediator);
        // Outermost first: a request is logged whether validation refuses it or its handler does.
        services.AddTransient(typeof(IPipelineBehavior<,>), typeof(LoggingBehavior<,>));
        services.AddTransient(typeof(IPipelineBehavior<,>), typeof(ValidationBehavior<,>));
        // Every IRequestHandler<,> in this assembly, as MediatR's assembly scan would register them.
        foreach (var type in typeof(CustodyServices).Assembly.GetTypes().Where(t => t is { IsClass: true, IsAbstract: false }))
        {
            foreach (var handler in type.GetInterfaces().Where(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IRequestHandler<,>)))
            {
                services.AddTransient(handler, type);
            }
        }

        // Singletons: validators hold no state, and the mediator (a singleton) resolves them from the root
        // provider; scoped ones fail every command where scopes are checked (ASP.NET Core's Development).
        services.AddValidatorsFromAssembly(typeof(CustodyServices).Assembly, ServiceLifetime.Singleton, includeInternalTypes: true);
        return services;
    }
}
