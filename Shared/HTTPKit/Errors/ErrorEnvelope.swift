import Contracts
import Hummingbird

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `{"success": false, "error": {"code", "message", "details"?}, "requestId"}`.
struct ErrorEnvelope: Encodable {
    struct Body: Encodable {
        let code: String
        let message: String
        let details: [FieldError]?
    }

    let success = false
    let error: Body
    let requestId: String

    init(_ error: AppError, requestId: String) {
        self.error = Body(code: error.code, message: error.message, details: error.details.isEmpty ? nil : error.details)
        self.requestId = requestId
    }
}

extension AppError {
    func response(requestId: String) -> Response {
        let body = (try? JSONCoding.encoder.encode(ErrorEnvelope(self, requestId: requestId))) ?? Data()
        return .json(status: status, body, headers: headers)
    }
}
