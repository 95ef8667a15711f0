import HTTPTypes
import Hummingbird

/// Lets a web page from an allowed origin (`--rpc-allowed-origins`) use the node from a browser: its requests'
/// responses carry `Access-Control-Allow-Origin: <its origin>` and `Vary: Origin`, and its `OPTIONS` preflight (on
/// any path) is answered `204` with the methods, the one request header (`content-type`) and how long to cache
/// the answer. Requests with any other `Origin` never get here: `HostOriginGuard` refuses them first, preflights
/// included (`403`). Requests without `Origin` (the wallet, curl) pass through untouched.
struct CORSHeaders<Context: RequestContext>: RouterMiddleware {
    let policy: HostOriginPolicy

    /// What a preflight answer allows besides the origin.
    static var preflightFields: HTTPFields {
        [
            .accessControlAllowMethods: "GET, POST, OPTIONS",
            .accessControlAllowHeaders: "content-type",
            .accessControlMaxAge: "\(RPCLimits.corsPreflightMaxAgeSeconds)",
        ]
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let origin = policy.corsAllowedOrigin(request.headers[.origin]) else { return try await next(request, context) }
        var response: Response
        if request.method == .options {
            response = Response(status: .noContent, headers: Self.preflightFields)
        } else {
            do {
                response = try await next(request, context)
            } catch let error as any HTTPResponseError {
                // E.g. 404 for an unknown path: the page should be able to read that too.
                response = try error.response(from: request, context: context)
            }
        }
        response.headers[.accessControlAllowOrigin] = origin
        response.headers[values: .vary].append("Origin")
        return response
    }
}
