using EvidenceVault.Custody.Commands;
using EvidenceVault.Custody.Ingest;
using FluentValidation;
using Microsoft.Extensions.DependencyInjection;

namespace EvidenceVault.Custody;

/// <summary>Registers the custody commands with their validators, for any host: CLI, agent, worker or API.</summary>
public static class CustodyServices
{
    public static IServiceCollection AddCustody(this IServiceCollection services, Vault vault)
    {
        services.AddSingleton(vault);
        services.AddSingleton<ISender, Sender>();
        services.AddTransient<IRequestHandler<IngestClip, ClipIngestResult>, IngestClipHandler>();
        services.AddTransient<IRequestHandler<Cases.RegisterCase, long>, Cases.CaseCommandHandlers>();
        services.AddTransient<IRequestHandler<Cases.RecordAction, long>, Cases.CaseCommandHandlers>();
        services.AddTransient<IRequestHandler<Cases.LinkClip, long>, Cases.CaseCommandHandlers>();
        services.AddTransient<IRequestHandler<Cases.AttachWrittenExplanation, long>, Cases.CaseCommandHandlers>();
        services.AddTransient<IRequestHandler<Cases.ReviewSpeech, long>, Cases.CaseCommandHandlers>();
        services.AddTransient<IRequestHandler<Policy.SelectPolicy, long>, Policy.PolicyCommandHandlers>();
        services.AddTransient<IRequestHandler<Policy.DeclareRemoteEnforcement, long>, Policy.PolicyCommandHandlers>();
        services.AddTransient<IRequestHandler<Policy.EndMatter, long>, Policy.PolicyCommandHandlers>();
        services.AddTransient<IRequestHandler<Policy.ArchiveCase, long>, Policy.PolicyCommandHandlers>();
        services.AddTransient<IRequestHandler<Policy.ApproveAction, long>, Policy.PolicyCommandHandlers>();
        services.AddTransient<IRequestHandler<Policy.FileWorkRecord, long>, Policy.PolicyCommandHandlers>();
        services.AddTransient<IRequestHandler<Policy.ReviewWorkRecord, long>, Policy.PolicyCommandHandlers>();
        services.AddTransient<IRequestHandler<Policy.RecordRetentionFact, long>, Policy.PolicyCommandHandlers>();
        services.AddValidatorsFromAssembly(typeof(CustodyServices).Assembly, includeInternalTypes: true);
        return services;
    }
}
