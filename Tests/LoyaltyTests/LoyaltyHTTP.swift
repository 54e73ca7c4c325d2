import Contracts
import Hummingbird
import TestSupport

/// An admin's ledger transaction (`POST /loyalty/transactions` as `admin-1`).
func adminTransaction(_ api: API, _ body: JSONValue, key: String? = nil) async throws -> Answer {
    var headers: HTTPFields = [:]
    if let key { headers[.idempotencyKey] = key }
    return try await api.post("/loyalty/transactions", as: "admin-1", role: .admin, body: body, headers: headers)
}

/// The body of an admin's transaction.
func transaction(_ user: String, _ type: String, _ points: Int, _ reason: String) -> JSONValue {
    ["userId": .string(user), "type": .string(type), "points": .int(points), "reason": .string(reason)]
}
