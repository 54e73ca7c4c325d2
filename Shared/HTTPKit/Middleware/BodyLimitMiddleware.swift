import Hummingbird

/// Refuses a declared body over 64 KiB before any of it is read. Bodies without a
/// `Content-Length` (chunked) are cut off at the same size when they are read.
public struct BodyLimitMiddleware: RouterMiddleware {
    public typealias Context = AppContext

    public init() {}

    public func handle(_ request: Request, context: AppContext, next: (Request, AppContext) async throws -> Response) async throws -> Response {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > JSONBody.maxBytes {
            throw AppError.payloadTooLarge
        }
        return try await next(request, context)
    }
}
