import Auth
import Hummingbird
import NIOCore
import NIOHTTP1
import Storage

extension AppError {
    /// Maps anything thrown by a handler or middleware to what the client may see.
    /// Returns `nil` for errors that are not expected (they become a logged 500).
    public static func mapping(_ error: any Error) -> AppError? {
        switch error {
        case let error as AppError:
            return error
        case let error as AuthFailure:
            switch error {
            case .unauthenticated(let message): return .unauthorized(message)
            case .forbidden(let message): return .forbidden(message)
            }
        case let error as StorageError:
            switch error {
            case .uniqueViolation: return .conflict()
            case .unavailable, .transientConflict: return .serviceUnavailable
            case .checkViolation, .foreignKeyViolation: return nil
            }
        case is NIOTooManyBytesError:
            return .payloadTooLarge
        case is HTTPParserError:
            // A body whose framing breaks off mid-request (a bad chunk size, say): the head
            // was fine, so the route ran and met the error reading the body.
            return .badRequest("Malformed request body framing")
        case let error as HTTPError:
            // Hummingbird's own refusals: unknown route, oversized body, bad request line.
            switch error.status {
            case .notFound, .methodNotAllowed: return .notFound("Route not found")
            case .contentTooLarge: return .payloadTooLarge
            case .badRequest: return .badRequest("Malformed request")
            case .unsupportedMediaType: return .badRequest("Unsupported content type")
            default: return nil
            }
        default:
            return StorageError.classify(error) is StorageError ? mapping(StorageError.classify(error)) : nil
        }
    }
}
