using EvidenceVault.Custody;
using FluentValidation;

namespace EvidenceVault.Api;

/// <summary>
/// One error shape for every endpoint (RFC 9457 problem details): a refused command is 400 with each
/// field and rule, a fact the vault will not accept is 422 naming what is wrong; never a stack trace.
/// </summary>
internal sealed class ErrorResponses(RequestDelegate next)
{
    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context);
        }
        catch (ValidationException e) when (!context.Response.HasStarted)
        {
            await Results.ValidationProblem(e.Errors.GroupBy(x => x.PropertyName).ToDictionary(g => g.Key, g => g.Select(x => x.ErrorMessage).ToArray())).ExecuteAsync(context);
        }
        catch (Exception e) when (e is VaultException or FormatException && !context.Response.HasStarted)
        {
            await Results.Problem(e.Message, statusCode: StatusCodes.Status422UnprocessableEntity).ExecuteAsync(context);
        }
        catch (BadHttpRequestException e) when (!context.Response.HasStarted)
        {
            await Results.Problem(e.Message, statusCode: e.StatusCode).ExecuteAsync(context);
        }
    }
}
