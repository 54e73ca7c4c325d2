import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport

/// CONTRACT §1: with the database down, a request that needs it gets its 503 within 2 s, not
/// after a pool's queue and back-off; routes that do not need it keep answering; and the
/// service recovers by itself within 5 s of the database coming back.
@Suite struct DatabaseOutageTests {
    @Test func requestsFailFastWhileTheDatabaseIsDownAndSucceedAgainWithoutARestart() async throws {
        let postgres = try await TestPostgres.start()
        do {
            try await withTestService(ProbeService.self, overrides: ["DATABASE_URL": postgres.url]) { client, _ in
                let token = try await TestEnvironment.token(TestEnvironment.uniqueUser())
                @Sendable func timed(_ uri: String, _ method: HTTPRequest.Method = .get, body: String? = nil) async throws -> (TestResponse, Duration) {
                    let started = ContinuousClock.now
                    // Bounded, so that a request that never answers fails this test instead of
                    // holding the whole run.
                    let response = try await withDeadline(.seconds(15), "\(method) \(uri) \(body ?? "")") {
                        try await client.execute(
                            uri: uri, method: method, headers: bearer(token, body == nil ? [:] : jsonHeaders), body: body.map(jsonBody))
                    }
                    return (response, ContinuousClock.now - started)
                }
                #expect(try await timed("/v1/customers/widgets", .post, body: #"{"name":"before","size":1}"#).0.status == .created)

                await postgres.stop()
                // At once, and again and again while it stays down: reads and writes alike.
                for attempt in 0..<6 {
                    let (response, elapsed) = attempt.isMultiple(of: 2)
                        ? try await timed("/v1/customers/widgets")
                        : try await timed("/v1/customers/widgets", .post, body: #"{"name":"during-\#(attempt)","size":1}"#)
                    #expect(response.status == .serviceUnavailable)
                    #expect(try response.errorCode() == "SERVICE_UNAVAILABLE")
                    #expect(response.headers[.retryAfter] == "2")
                    #expect(elapsed < .seconds(2), "attempt \(attempt) took \(elapsed)")
                    print("database down: request \(attempt) answered \(response.status.code) in \(elapsed)")
                }
                // Liveness needs no database; readiness says it is missing, without waiting.
                #expect(try await timed("/health").0.status == .ok)
                let (ready, readyTook) = try await timed("/health/ready")
                #expect(ready.status == .serviceUnavailable && readyTook < .seconds(2))

                try await postgres.start()
                let back = ContinuousClock.now
                #expect(try await eventually(timeout: .seconds(5)) { try await timed("/v1/customers/widgets").0.status == .ok })
                print("database back: first 200 after \(ContinuousClock.now - back)")
                #expect(ContinuousClock.now - back < .seconds(5))
                let (created, _) = try await timed("/v1/customers/widgets", .post, body: #"{"name":"after","size":1}"#)
                #expect(created.status == .created)
                // Nothing written while it was down; both writes around it are there.
                let (list, _) = try await timed("/v1/customers/widgets")
                #expect(try (list.json()["data"] as? [[String: Any]])?.compactMap { $0["name"] as? String }.sorted() == ["after", "before"])
            }
        } catch {
            await postgres.remove()
            throw error
        }
        await postgres.remove()
    }
}
