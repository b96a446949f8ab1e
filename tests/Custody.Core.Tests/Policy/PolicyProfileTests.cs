using EvidenceVault.Custody.Policy;

namespace EvidenceVault.Custody.Tests.Policy;

public sealed class PolicyProfileTests
{
    [Fact]
    public void Load_EveryAgencyProfile_EveryRuleCitesItsArticle()
    {
        foreach (var id in PolicyProfile.Ids)
        {
            var profile = PolicyProfile.Load(id);
            profile.Id.Should().Be(id);
            Cites(profile).Should().NotBeEmpty().And.OnlyContain(c => !string.IsNullOrWhiteSpace(c), id);
        }
    }

    [Fact]
    public void Load_Jiaozuo_Counts30WorkingDaysAndTheOthers30CalendarDays()
    {
        PolicyProfile.Load("jiaozuo-emergency").Archive.Should().Be(new ArchiveRule(30, true, "002 §14 (30 working days)"));
        PolicyProfile.Load("hebei-street-office").Archive!.WorkingDays.Should().BeFalse();
        PolicyProfile.Load("changzhi-police").Archive.Should().BeNull("004 sets no archive period of its own");
    }

    [Fact]
    public void Load_UnknownProfile_NamesTheKnownOnes()
    {
        var act = () => PolicyProfile.Load("beijing-traffic");
        act.Should().Throw<VaultException>().WithMessage("*jiaozuo-emergency*");
    }

    private static IEnumerable<string> Cites(object node) =>
        node.GetType().GetProperties(System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.Public)
            .Where(p => p.DeclaringType?.Namespace == typeof(PolicyProfile).Namespace && p.GetIndexParameters().Length == 0)
            .SelectMany(p => p.GetValue(node) switch
            {
                string text when p.Name.EndsWith("Cite", StringComparison.Ordinal) => [text],
                { } child when child.GetType().Namespace == typeof(PolicyProfile).Namespace => Cites(child),
                _ => [],
            });
}
