import TestSupport

/// Runs `ProbeService` as `withTestService` does and hands `body` its router through `API`:
/// `api` at `/v1/customers`, `root` at the service's own paths (`/health`, `/metrics`).
func withProbe(
    overrides: [String: String] = [:], _ body: @Sendable (_ api: API, _ root: API) async throws -> Void
) async throws {
    try await withTestService(ProbeService.self, overrides: overrides) { api, _ in
        try await body(api, api.at(""))
    }
}

/// `GET /health` as CONTRACT §11 shows it (no production type decodes it).
struct Health: Decodable {
    let status: String
    let service: String
    let version: String
    let uptimeSeconds: Int
}

/// `GET /health/ready` as CONTRACT §11 shows it.
struct Readiness: Decodable {
    let status: String
    let checks: [String: String]
    let outboxLag: Double?
}
