import Auth
import Foundation
import Hummingbird
import HummingbirdTesting

/// A response as the service tests read it: status and JSON body.
public struct Answer: @unchecked Sendable {
    public let status: HTTPResponse.Status
    public let json: [String: Any]

    public var data: [String: Any] { json["data"] as? [String: Any] ?? [:] }
    /// `data` when it is a list.
    public var list: [[String: Any]] { json["data"] as? [[String: Any]] ?? [] }
    public var errorCode: String? { (json["error"] as? [String: Any])?["code"] as? String }
    /// `error.details` as `field: message`.
    public var errorDetails: [String: String] {
        let details = (json["error"] as? [String: Any])?["details"] as? [[String: Any]] ?? []
        return Dictionary(details.map { ($0["field"] as? String ?? "", $0["message"] as? String ?? "") }) { first, _ in first }
    }
    public var meta: [String: Any] { json["meta"] as? [String: Any] ?? [:] }
}

/// One request to a service under test as `user` (a customer unless `role` says otherwise;
/// no token when nil).
public func call(
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

