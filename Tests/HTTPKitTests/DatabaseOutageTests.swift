import Contracts
import Foundation
import Hummingbird
import TestSupport
import Testing

/// CONTRACT §1: with the database down, a request that needs it gets its 503 within 2 s, not
/// after a pool's queue and back-off; routes that do not need it keep answering; and the
/// service recovers by itself within 5 s of the database coming back.
@Suite(.needsTestServers) struct DatabaseOutageTests {
    @Test func requestsFailFastWhileTheDatabaseIsDownAndSucceedAgainWithoutARestart() async throws {
        let postgres = try await TestPostgres.start()
        do {
            try await withProbe(overrides: ["DATABASE_URL": postgres.url]) { api, root in
                let user = TestEnvironment.uniqueUser()
                // A GET of `path` (at the service's root with `atRoot`), or a POST of `body`.
                @Sendable func timed(_ path: String, atRoot: Bool = false, post body: JSONValue? = nil) async throws -> (Answer, Duration) {
                    let started = ContinuousClock.now
                    // Bounded, so that a request that never answers fails this test instead of
                    // holding the whole run.
                    let label = "\(body == nil ? "GET" : "POST") \(path) \(body.map { "\($0)" } ?? "")"
                    let answer = try await withDeadline(.seconds(15), label) { () async throws -> Answer in
                        if let body { return try await api.post(path, as: user, body: body) }
                        return try await (atRoot ? root : api).get(path, as: user)
                    }
                    return (answer, ContinuousClock.now - started)
                }
                #expect(try await timed("/widgets", post: ["name": "before", "size": 1]).0.status == .created)

                await postgres.stop()
                // At once, and again and again while it stays down: reads and writes alike.
                for attempt in 0..<6 {
                    let (answer, elapsed) =
                        attempt.isMultiple(of: 2)
                        ? try await timed("/widgets")
                        : try await timed("/widgets", post: ["name": "during-\(attempt)", "size": 1])
                    #expect(answer.status == .serviceUnavailable)
                    #expect(answer.errorCode == "SERVICE_UNAVAILABLE")
                    #expect(answer.headers[.retryAfter] == "2")
                    #expect(elapsed < .seconds(2), "attempt \(attempt) took \(elapsed)")
                    print("database down: request \(attempt) answered \(answer.status.code) in \(elapsed)")
                }
                // Liveness needs no database; readiness says it is missing, without waiting.
                #expect(try await timed("/health", atRoot: true).0.status == .ok)
                let (ready, readyTook) = try await timed("/health/ready", atRoot: true)
                #expect(ready.status == .serviceUnavailable && readyTook < .seconds(2))

                try await postgres.start()
                let back = ContinuousClock.now
                #expect(try await eventually(timeout: .seconds(5)) { try await timed("/widgets").0.status == .ok })
                print("database back: first 200 after \(ContinuousClock.now - back)")
                #expect(ContinuousClock.now - back < .seconds(5))
                let (created, _) = try await timed("/widgets", post: ["name": "after", "size": 1])
                #expect(created.status == .created)
                // Nothing written while it was down; both writes around it are there.
                let (list, _) = try await timed("/widgets")
                #expect(try list.data([ProbeService.Widget].self).map(\.name).sorted() == ["after", "before"])
            }
        } catch {
            await postgres.remove()
            throw error
        }
        await postgres.remove()
    }
}
