import Hummingbird

/// One failing field of a request, as listed in the error envelope's `details`.
public struct FieldError: Sendable, Equatable, Encodable {
    public let field: String
    public let message: String

    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }
}

/// Every error a client can see: a status, a stable code slug (CONTRACT §1) and a safe
/// message. Anything thrown that is not an `AppError` is mapped to one at the edge
/// (`ErrorMiddleware`), so nothing else ever reaches the wire.
public struct AppError: Error, Sendable, Equatable {
    public let status: HTTPResponse.Status
    public let code: String
    public let message: String
    public let details: [FieldError]
    /// Extra response headers (`Retry-After` on 429 and 503).
    public var headers: HTTPFields = [:]

    public init(_ status: HTTPResponse.Status, code: String, message: String, details: [FieldError] = []) {
        self.status = status
        self.code = code
        self.message = message
        self.details = details
    }

    public static func badRequest(_ message: String, code: String = "BAD_REQUEST") -> AppError {
        AppError(.badRequest, code: code, message: message)
    }
    public static func unauthorized(_ message: String = "Authentication required") -> AppError {
        AppError(.unauthorized, code: "UNAUTHORIZED", message: message)
    }
    public static func forbidden(_ message: String = "You do not have access to this resource") -> AppError {
        AppError(.forbidden, code: "FORBIDDEN", message: message)
    }
    public static func notFound(_ message: String = "Resource not found") -> AppError {
        AppError(.notFound, code: "NOT_FOUND", message: message)
    }
    public static func conflict(_ message: String = "Resource already exists") -> AppError {
        AppError(.conflict, code: "CONFLICT", message: message)
    }
    public static func invalidState(_ message: String) -> AppError {
        AppError(.conflict, code: "INVALID_STATE", message: message)
    }
    public static func validation(_ details: [FieldError]) -> AppError {
        AppError(.unprocessableContent, code: "VALIDATION_ERROR", message: "Request validation failed", details: details)
    }
    public static func validation(field: String, _ message: String) -> AppError {
        validation([FieldError(field: field, message: message)])
    }
    public static let payloadTooLarge = AppError(.contentTooLarge, code: "PAYLOAD_TOO_LARGE", message: "Request body exceeds 64 KiB")
    /// With `Retry-After`: a database that went away (a restart, a failover) is usually back
    /// within seconds, and the pool reconnects within a second of it (`FailFastPool`).
    public static let serviceUnavailable: AppError = {
        var error = AppError(.serviceUnavailable, code: "SERVICE_UNAVAILABLE", message: "A required service is unavailable, try again shortly")
        error.headers[.retryAfter] = "2"
        return error
    }()
    public static let internalError = AppError(.internalServerError, code: "INTERNAL_ERROR", message: "An unexpected error occurred")
}
