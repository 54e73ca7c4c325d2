import Contracts
import Foundation
import PostgresNIO
import ServiceKit
import TestSupport
import Testing

@testable import loyalty

@Suite(.needsTestServers) struct ExpiryTests {
    static let day: TimeInterval = 86_400

    /// Batches earned 400, 350 and 10 days before `now` (they expire 365 days after), then a
    /// redemption of 200 through HTTP, which takes from the oldest batch: 300 of its 500 are left.
    func seedBatches(_ api: API, _ app: ServiceApp, _ user: String, now: Date) async throws {
        let ledger = try LoyaltyService(runtime: app.runtime).ledger
        for (points, age) in [(500, 400.0), (50, 350.0), (300, 10.0)] {
            _ = try await app.runtime.database.transaction { connection in
                try await ledger.apply(
                    TransactionRequest(userId: user, type: .earn, change: points, reason: "Order", referenceType: nil, referenceId: nil),
                    idempotencyKey: nil, correlationId: "test", at: now - age * Self.day, on: connection)
            }
        }
        #expect(try await adminTransaction(api, transaction(user, "REDEEM", 200, "Voucher")).status == .created)
    }

    func account(_ api: API, _ user: String) async throws -> Account {
        try await api.get("/loyalty", as: user).data(Account.self)
    }

    /// The oldest batch is past its expiry and the 350-day one is within 30 days of it.
    @Test func theAccountShowsWhatExpiresWithinThirtyDays() async throws {
        try await withTestService(LoyaltyService.self) { api, app in
            let user = TestEnvironment.uniqueUser()
            try await seedBatches(api, app, user, now: Date())
            let shown = try await account(api, user)
            #expect(shown.points == 650)
            #expect(shown.expiringSoon?.points == 350)
        }
    }

    /// History filters: a date-only `to` takes in the whole of that day.
    @Test func historyFiltersByDatesAndType() async throws {
        try await withTestService(LoyaltyService.self) { api, app in
            let user = TestEnvironment.uniqueUser()
            let day = Self.day
            let now = Date()
            try await seedBatches(api, app, user, now: now)
            func dateOnly(_ date: Date) -> String { String(Timestamp.iso8601(date).prefix(10)) }
            func history(_ query: String) async throws -> [Int] {
                try await api.get("/loyalty/transactions?\(query)", as: user).data(LoyaltyController.History.self).transactions.map(\.points)
            }
            #expect(try await history("from=\(dateOnly(now - 401 * day))&to=\(dateOnly(now - 400 * day))") == [500])
            #expect(try await history("from=\(dateOnly(now - 351 * day))") == [-200, 300, 50])
            #expect(try await history("to=\(dateOnly(now))&type=REDEEM") == [-200])
            #expect(try await history("from=\(Timestamp.iso8601(now - 11 * day))&to=\(Timestamp.iso8601(now - 9 * day))") == [300])
        }
    }

    @Test func invalidHistoryFiltersAreEachNamed() async throws {
        try await withTestService(LoyaltyService.self) { api, _ in
            let invalid = try await api.get("/loyalty/transactions?from=yesterday&type=BOGUS&limit=0", as: TestEnvironment.uniqueUser())
            #expect(invalid.status == .unprocessableContent)
            #expect(Set(invalid.errorDetails.keys) == ["from", "type", "limit"])
        }
    }

    /// One job observed run by run, in order: a dry run writes nothing; the real thing (from
    /// the command line, on today's clock) expires only what is left of the old batch; running
    /// again expires nothing more; twenty days on the next batch goes. Every run is recorded.
    @Test func expiryTakesOnlyWhatIsLeftOfOldBatchesAndRunsOnce() async throws {
        try await withTestService(LoyaltyService.self) { api, app in
            let user = TestEnvironment.uniqueUser()
            let database = app.runtime.database
            let day = Self.day
            let now = Date()
            try await seedBatches(api, app, user, now: now)

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
            let after = try await account(api, user)
            #expect(after.points == 350 && after.expiredPoints == 300)
            #expect(after.lifetimePoints == 850 && after.redeemedPoints == 200)
            let expired = try await api.get("/loyalty/transactions?type=EXPIRE", as: user).data(LoyaltyController.History.self).transactions
            #expect(expired.count == 1 && expired.first?.points == -300 && expired.first?.balanceAfter == 350)

            // Running again expires nothing more.
            #expect(try await runner.run(job, now: now) == .succeeded(JobOutcome(counts: ["accounts": 0, "points": 0])))
            // Twenty days on, the 350-day batch goes too; the recent one stays.
            #expect(try await runner.run(job, now: now + 20 * day) == .succeeded(JobOutcome(counts: ["accounts": 1, "points": 50])))
            #expect(try await account(api, user).points == 300)
            #expect(try await database.scalar("SELECT sum(points)::int FROM transactions WHERE user_id = \(user)") == 300)
            #expect(try await database.scalar("SELECT sum(remaining)::int FROM lots WHERE user_id = \(user)") == 300)
            // Every expiry published the account's new state.
            #expect(
                try await database.scalar(
                    """
                    SELECT count(*)::int FROM outbox WHERE topic = 'customer.loyalty_account.updated' AND key = \(user)
                    """) == 6)
            #expect(
                try await database.scalar(
                    "SELECT count(*)::int FROM job_runs WHERE job = 'expire-loyalty-points' AND outcome = 'succeeded'") == 4)
        }
    }
}

/// Tiers follow lifetime points (CONTRACT §8); each change is published once.
@Suite(.needsTestServers) struct TierTests {
    /// The ladder every test climbs (a prefix of): to SILVER, to GOLD, a redemption, to one
    /// point short of PLATINUM, to PLATINUM, beyond it, and a negative adjustment back to GOLD.
    static let ladder: [(points: Int, type: String)] = [
        (4999, "EARN"), (1, "EARN"), (500, "REDEEM"), (9_999, "EARN"), (1, "EARN"), (1_000, "EARN"), (-2_000, "ADJUSTMENT"),
    ]

    /// A new customer climbs the first `steps` rungs; their account after each.
    func climb(_ api: API, steps: Int) async throws -> (user: String, accounts: [Account]) {
        let user = TestEnvironment.uniqueUser()
        var accounts: [Account] = []
        for (points, type) in Self.ladder.prefix(steps) {
            let answer = try await adminTransaction(api, transaction(user, type, points, "Tier test"))
            #expect(answer.status == .created)
            accounts.append(try await api.get("/loyalty", as: user).data(Account.self))
        }
        return (user, accounts)
    }

    @Test func silverAndGoldStartAtTheirThresholds() async throws {
        try await withTestService(LoyaltyService.self) { api, _ in
            let accounts = try await climb(api, steps: 2).accounts
            #expect(accounts[0].tier == .silver && accounts[0].nextTier == .gold && accounts[0].pointsToNextTier == 1)
            #expect(accounts[1].tier == .gold && accounts[1].nextTier == .platinum && accounts[1].pointsToNextTier == 10_000)
        }
    }

    @Test func aRedemptionKeepsTheTier() async throws {
        try await withTestService(LoyaltyService.self) { api, _ in
            let accounts = try await climb(api, steps: 3).accounts
            #expect(accounts[2].tier == .gold)
        }
    }

    /// Redeemed points still count: one point short of PLATINUM after the redemption.
    @Test func platinumIsTheTopTier() async throws {
        try await withTestService(LoyaltyService.self) { api, _ in
            let accounts = try await climb(api, steps: 6).accounts
            #expect(accounts[3].tier == .gold && accounts[3].pointsToNextTier == 1)
            #expect(accounts[4].tier == .platinum && accounts[4].nextTier == nil && accounts[4].pointsToNextTier == nil)
            #expect(accounts[5].tier == .platinum)
        }
    }

    /// A negative adjustment takes lifetime points back, and the tier with them.
    @Test func aNegativeAdjustmentTakesTheTierBack() async throws {
        try await withTestService(LoyaltyService.self) { api, _ in
            let accounts = try await climb(api, steps: Self.ladder.count).accounts
            #expect(accounts[6].tier == .gold && accounts[6].lifetimePoints == 14_000)
        }
    }

    @Test func eachTierChangeIsPublishedOnce() async throws {
        try await withTestService(LoyaltyService.self) { api, app in
            let user = try await climb(api, steps: Self.ladder.count).user
            let changes = try await app.runtime.database.query(
                """
                SELECT value::jsonb #>> '{payload,previousTier}', value::jsonb #>> '{payload,tier}' FROM outbox
                WHERE topic = 'customer.loyalty_tier.changed' AND key = \(user) ORDER BY seq
                """
            ).decode((String, String).self).reduce(into: [String]()) { $0.append("\($1.0)→\($1.1)") }
            #expect(changes == ["BRONZE→SILVER", "SILVER→GOLD", "GOLD→PLATINUM", "PLATINUM→GOLD"])
        }
    }
}
