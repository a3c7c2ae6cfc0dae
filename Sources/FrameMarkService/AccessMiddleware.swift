import Foundation
import Hummingbird

/// Bearer tokens: 401 without one (or with one never issued), 403 for a revoked one, 429 with
/// `Retry-After` past its rate. The token itself is never logged or kept, only its hash.
struct AccessMiddleware: RouterMiddleware {
    typealias Context = ServiceContext
    let tokens: TokenStore
    let limiter: RateLimiter

    func handle(_ request: Request, context: ServiceContext, next: (Request, ServiceContext) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer ") else {
            return ServiceResponse.error(.unauthorized, "a bearer token is required (Authorization: Bearer TOKEN)",
                                         headers: [.wwwAuthenticate: "Bearer"])
        }
        let presented = String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)
        guard let token = try tokens.lookup(presented) else {
            return ServiceResponse.error(.unauthorized, "unknown token", headers: [.wwwAuthenticate: "Bearer"])
        }
        guard token.revokedAt == nil else { return ServiceResponse.error(.forbidden, "this token was revoked") }
        if let wait = limiter.take(token.name, rate: token.ratePerMinute) {
            let seconds = Int(wait.rounded(.up))
            return ServiceResponse.error(.tooManyRequests, "rate limit of \(token.ratePerMinute) requests a minute reached; retry in \(seconds) s",
                                         headers: [.retryAfter: String(seconds)])
        }
        var context = context
        context.tokenName = token.name
        return try await next(request, context)
    }
}

/// Records every request's route, status and duration for `/metrics`.
struct MetricsMiddleware: RouterMiddleware {
    typealias Context = ServiceContext
    let metrics: ServiceMetrics

    func handle(_ request: Request, context: ServiceContext, next: (Request, ServiceContext) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        func record(_ status: Int) {
            let d = ContinuousClock.now - start
            let seconds = Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
            metrics.request(method: request.method.rawValue, route: context.endpointPath ?? "unmatched", status: status, seconds: seconds)
        }
        do {
            let response = try await next(request, context)
            record(response.status.code)
            return response
        } catch let error as HTTPError {
            record(error.status.code)
            throw error
        } catch {
            record(500)
            throw error
        }
    }
}

/// JSON answers and errors.
enum ServiceResponse {
    static func json(_ status: HTTPResponse.Status, _ data: Data, headers: HTTPFields = [:]) -> Response {
        var h = headers
        h[.contentType] = "application/json"
        return Response(status: status, headers: h, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func json(_ status: HTTPResponse.Status, _ object: [String: Any], headers: HTTPFields = [:]) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return json(status, data, headers: headers)
    }

    static func error(_ status: HTTPResponse.Status, _ message: String, headers: HTTPFields = [:]) -> Response {
        json(status, ["error": message], headers: headers)
    }
}
