import Foundation
import HTTPKit
import HummingbirdTesting
import TestSupport

/// A response as the loyalty tests read it.
struct Answer: @unchecked Sendable {
    let status: HTTPResponse.Status
    let json: [String: Any]

    var data: [String: Any] { json["data"] as? [String: Any] ?? [:] }
    var errorCode: String? { (json["error"] as? [String: Any])?["code"] as? String }
    var meta: [String: Any] { json["meta"] as? [String: Any] ?? [:] }
}

/// One request as `user` (a customer unless `role` says otherwise; no token when nil).
func call(
    _ client: any TestClientProtocol, _ method: HTTPRequest.Method, _ uri: String, as user: String?, role: Role = .customer,
    body: String? = nil, headers extra: HTTPFields = [:]
) async throws -> Answer {
    var headers = extra
    if let user { headers[.authorization] = "Bearer \(try await TestEnvironment.token(user, role: role))" }
    if body != nil { headers[.contentType] = "application/json" }
    return try await client.execute(uri: "/v1/customers" + uri, method: method, headers: headers, body: body.map(jsonBody)) { response in
        Answer(status: response.status, json: (try? response.json()) ?? [:])
    }
}

/// An admin's ledger transaction.
func adminTransaction(_ client: any TestClientProtocol, _ body: String, key: String? = nil) async throws -> Answer {
    var headers: HTTPFields = [:]
    if let key { headers[.idempotencyKey] = key }
    return try await call(client, .post, "/loyalty/transactions", as: "admin-1", role: .admin, body: body, headers: headers)
}
