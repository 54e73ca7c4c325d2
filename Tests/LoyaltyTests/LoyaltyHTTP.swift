import Hummingbird
import HummingbirdTesting
import TestSupport

/// An admin's ledger transaction.
func adminTransaction(_ client: any TestClientProtocol, _ body: String, key: String? = nil) async throws -> Answer {
    var headers: HTTPFields = [:]
    if let key { headers[.idempotencyKey] = key }
    return try await call(client, .post, "/loyalty/transactions", as: "admin-1", role: .admin, body: body, headers: headers)
}
