import Contracts
import Foundation
import HummingbirdTesting
@testable import loyalty
import PostgresNIO
import ServiceKit
import Testing
import TestSupport

@Suite struct ExpiryTests {
    @Test func expiryTakesOnlyWhatIsLeftOfOldBatchesAndRunsOnce() async throws {
        try await withTestService(LoyaltyService.self) { client, app in
            let user = TestEnvironment.uniqueUser()
            let database = app.runtime.database
            let ledger = try LoyaltyService(runtime: app.runtime).ledger
            let day: TimeInterval = 86_400, now = Date()
            // Batches earned 400, 350 and 10 days ago (they expire 365 days after).
            for (points, age) in [(500, 400.0), (50, 350.0), (300, 10.0)] {
                _ = try await database.transaction { connection in
                    try await ledger.apply(
                        TransactionRequest(userId: user, type: .earn, change: points, reason: "Order", referenceType: nil, referenceId: nil),
                        idempotencyKey: nil, correlationId: "test", at: now - age * day, on: connection)
                }
            }
            // Spending takes from the oldest batch: 300 of its 500 are left.
            #expect(try await adminTransaction(client, #"{"userId":"\#(user)","type":"REDEEM","points":200,"reason":"Voucher"}"#).status == .created)
            var account = try await call(client, .get, "/loyalty", as: user).data
            #expect(account["points"] as? Int == 650)
            // The oldest batch is past its expiry and the 350-day one is within 30 days of it.
            #expect((account["expiringSoon"] as? [String: Any])?["points"] as? Int == 350)

            // History filters: a date-only `to` takes in the whole of that day.
            func dateOnly(_ date: Date) -> String { String(Timestamp.iso8601(date).prefix(10)) }
            func history(_ query: String) async throws -> [Int?] {
                let list = try await call(client, .get, "/loyalty/transactions?\(query)", as: user).data["transactions"] as? [[String: Any]]
                return (list ?? []).map { $0["points"] as? Int }
            }
            #expect(try await history("from=\(dateOnly(now - 401 * day))&to=\(dateOnly(now - 400 * day))") == [500])
            #expect(try await history("from=\(dateOnly(now - 351 * day))") == [-200, 300, 50])
            #expect(try await history("to=\(dateOnly(now))&type=REDEEM") == [-200])
            #expect(try await history("from=\(Timestamp.iso8601(now - 11 * day))&to=\(Timestamp.iso8601(now - 9 * day))") == [300])
            let invalid = try await call(client, .get, "/loyalty/transactions?from=yesterday&type=BOGUS&limit=0", as: user)
            #expect(invalid.status == .unprocessableContent)
            #expect(Set(((invalid.json["error"] as? [String: Any])?["details"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String })
                    == ["from", "type", "limit"])

            let job = try #require(app.jobs.first { $0.name == "expire-loyalty-points" })
            let runner = JobRunner(runtime: app.runtime)
            #expect(try await runner.run(job, dryRun: true, now: now) == .succeeded(JobOutcome(counts: ["accounts": 1, "points": 300])))
            #expect(try await database.scalar("SELECT count(*)::int FROM transactions WHERE type = 'EXPIRE'") == 0)

            // The real thing, from the command line, on today's clock.
            let (status, stderr) = try await runToCompletion(
                TestEnvironment.binDirectory + "/loyalty", ["jobs", "run", "expire-loyalty-points"],
                environment: [
                    "DATABASE_URL": TestEnvironment.databaseURL, "DATABASE_SCHEMA": database.schema, "REDIS_URL": TestEnvironment.redisURL,
                    "JWT_SECRET": TestEnvironment.jwtSecret, "LOG_LEVEL": "error",
                ])
            #expect(status == 0, "\(stderr)")
            account = try await call(client, .get, "/loyalty", as: user).data
            #expect(account["points"] as? Int == 350 && account["expiredPoints"] as? Int == 300)
            #expect(account["lifetimePoints"] as? Int == 850 && account["redeemedPoints"] as? Int == 200)
            let expired = try await call(client, .get, "/loyalty/transactions?type=EXPIRE", as: user).data["transactions"] as? [[String: Any]] ?? []
            #expect(expired.count == 1 && expired.first?["points"] as? Int == -300 && expired.first?["balanceAfter"] as? Int == 350)

            // Running again expires nothing more.
            #expect(try await runner.run(job, now: now) == .succeeded(JobOutcome(counts: ["accounts": 0, "points": 0])))
            // Twenty days on, the 350-day batch goes too; the recent one stays.
            #expect(try await runner.run(job, now: now + 20 * day) == .succeeded(JobOutcome(counts: ["accounts": 1, "points": 50])))
            #expect(try await call(client, .get, "/loyalty", as: user).data["points"] as? Int == 300)
            #expect(try await database.scalar("SELECT sum(points)::int FROM transactions WHERE user_id = \(user)") == 300)
            #expect(try await database.scalar("SELECT sum(remaining)::int FROM lots WHERE user_id = \(user)") == 300)
            // Every expiry published the account's new state.
            #expect(try await database.scalar("""
                SELECT count(*)::int FROM outbox WHERE topic = 'customer.loyalty_account.updated' AND key = \(user)
                """) == 6)
            #expect(try await database.scalar("SELECT count(*)::int FROM job_runs WHERE job = 'expire-loyalty-points' AND outcome = 'succeeded'") == 4)
        }
    }
}

@Suite struct TierTests {
    @Test func tiersFollowLifetimePointsAndEachChangeIsPublishedOnce() async throws {
        try await withTestService(LoyaltyService.self) { client, app in
            let user = TestEnvironment.uniqueUser()
            func earn(_ points: Int, _ type: String = "EARN") async throws -> [String: Any] {
                let answer = try await adminTransaction(client, #"{"userId":"\#(user)","type":"\#(type)","points":\#(points),"reason":"Tier test"}"#)
                #expect(answer.status == .created)
                return try await call(client, .get, "/loyalty", as: user).data
            }
            var account = try await earn(4999)
            #expect(account["tier"] as? String == "SILVER" && account["nextTier"] as? String == "GOLD" && account["pointsToNextTier"] as? Int == 1)
            account = try await earn(1)
            #expect(account["tier"] as? String == "GOLD" && account["nextTier"] as? String == "PLATINUM" && account["pointsToNextTier"] as? Int == 10_000)
            account = try await earn(500, "REDEEM")
            #expect(account["tier"] as? String == "GOLD")
            account = try await earn(9_999)
            #expect(account["tier"] as? String == "GOLD" && account["pointsToNextTier"] as? Int == 1)
            account = try await earn(1)
            #expect(account["tier"] as? String == "PLATINUM" && account["nextTier"] is NSNull && account["pointsToNextTier"] is NSNull)
            account = try await earn(1_000)
            #expect(account["tier"] as? String == "PLATINUM")
            // A negative adjustment takes lifetime points back, and the tier with them.
            account = try await earn(-2_000, "ADJUSTMENT")
            #expect(account["tier"] as? String == "GOLD" && account["lifetimePoints"] as? Int == 14_000)

            let changes = try await app.runtime.database.query("""
                SELECT value::jsonb #>> '{payload,previousTier}', value::jsonb #>> '{payload,tier}' FROM outbox
                WHERE topic = 'customer.loyalty_tier.changed' AND key = \(user) ORDER BY seq
                """).decode((String, String).self).reduce(into: [String]()) { $0.append("\($1.0)→\($1.1)") }
            #expect(changes == ["BRONZE→SILVER", "SILVER→GOLD", "GOLD→PLATINUM", "PLATINUM→GOLD"])
        }
    }
}
