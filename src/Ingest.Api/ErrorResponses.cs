using EvidenceVault.Custody;
using FluentValidation;
using Microsoft.AspNetCore.Http.Metadata;

namespace EvidenceVault.Api;

/// <summary>
/// One error shape for every endpoint (RFC 9457 problem details): a refused command is 400 with each
/// field (as the JSON names it) and rule, a fact the vault will not accept is 422 naming what is
/// wrong, a request the server cannot take is its 4xx with why; a server error is 500 with a
/// correlation id the log carries too. Never a stack trace, never an empty body (issue 21).
/// </summary>
internal sealed class ErrorResponses(RequestDelegate next)
{
    public const string CorrelationHeader = "X-Correlation-Id";

    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context);
        }
        catch (ValidationException e) when (!context.Response.HasStarted)
        {
            await Results.ValidationProblem(e.Errors.GroupBy(x => JsonPath(x.PropertyName)).ToDictionary(g => g.Key, g => g.Select(x => x.ErrorMessage).Distinct().ToArray())).ExecuteAsync(context);
        }
        catch (Exception e) when (e is VaultException or FormatException && !context.Response.HasStarted)
        {
            await Results.Problem(e.Message, statusCode: StatusCodes.Status422UnprocessableEntity).ExecuteAsync(context);
        }
        catch (BadHttpRequestException e) when (!context.Response.HasStarted)
        {
            // Malformed JSON, a body too large, a missing parameter: the client's, said as the framework found it.
            var detail = e.InnerException is System.Text.Json.JsonException json ? $"The body is not the JSON this endpoint takes: {json.Message}" : e.Message;
            await Results.Problem(detail, statusCode: e.StatusCode).ExecuteAsync(context);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away: nobody to answer.
        }
        catch (Exception e) when (!context.Response.HasStarted)
        {
            var correlation = context.TraceIdentifier;
            Serilog.Log.Error(e, "Request {Method} {Path} failed; correlation id {CorrelationId}", context.Request.Method, context.Request.Path.Value, correlation);
            context.Response.Headers[CorrelationHeader] = correlation;
            await Results.Problem(
                $"The server could not complete this request; nothing was taken into custody by it. Quote correlation id {correlation} to the operator: the server's log has the cause.",
                statusCode: StatusCodes.Status500InternalServerError,
                extensions: new Dictionary<string, object?> { ["correlationId"] = correlation }).ExecuteAsync(context);
        }
    }

    /// <summary>
    /// Bodies for what the framework answers without one (401 and 403 come from the authentication
    /// handler): an unknown path, a wrong method, a body of the wrong media type.
    /// </summary>
    public static void Describe(Microsoft.AspNetCore.Http.ProblemDetailsContext problem)
    {
        var context = problem.HttpContext;
        var what = $"{context.Request.Method} {context.Request.Path.Value}";
        problem.ProblemDetails.Detail ??= problem.ProblemDetails.Status switch
        {
            StatusCodes.Status404NotFound when context.GetEndpoint() is null => $"No endpoint answers {what}; see /openapi/v1.json.",
            StatusCodes.Status404NotFound => $"Nothing found: {what}.",
            StatusCodes.Status405MethodNotAllowed => $"{what}: this path does not take {context.Request.Method}; see /openapi/v1.json.",
            StatusCodes.Status413PayloadTooLarge => $"{what}: the body is larger than the {context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize ?? (1 << 20)} bytes this endpoint takes.",
            StatusCodes.Status415UnsupportedMediaType => $"{what} takes {string.Join(" or ", context.GetEndpoint()?.Metadata.GetMetadata<IAcceptsMetadata>()?.ContentTypes ?? ["application/json"])}, not '{context.Request.ContentType}'.",
            _ => null,
        };
    }

    /// <summary>A command's property path (Facts.OfficerName) as the JSON body spells it (facts.officerName).</summary>
    internal static string JsonPath(string propertyPath) =>
        string.Join('.', propertyPath.Split('.').Select(part => part.Length > 0 ? char.ToLowerInvariant(part[0]) + part[1..] : part));
}
