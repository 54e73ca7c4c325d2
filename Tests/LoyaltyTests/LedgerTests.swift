import Contracts
import Foundation
import Hummingbird
import PostgresNIO
import TestSupport
import Testing

@testable import loyalty

/// The ledger's reference flow (CONTRACT §8): earn 500, earn 750 (to SILVER), redeem 200,
/// a refused redemption of 5000, and an adjustment of -50.
@Suite(.needsTestServers) struct LedgerTests {
    static let referenceFlow: [(type: String, points: Int, reason: String)] = [
        ("EARN", 500, "Order"), ("EARN", 750, "Order"), ("REDEEM", 200, "Voucher"), ("REDEEM", 5000, "Too much"),
        ("ADJUST", -50, "Correction"),
    ]

    /// The reference flow for `user` (its first `steps` transactions, or all); their answers.
    func follow(_ api: API, _ user: String, steps: Int? = nil) async throws -> [Answer] {
        var answers: [Answer] = []
        for (type, points, reason) in Self.referenceFlow.prefix(steps ?? Self.referenceFlow.count) {
            answers.append(try await adminTransaction(api, transaction(user, type, points, reason)))
        }
        return answers
    }

    func account(_ api: API, _ user: String) async throws -> Account {
        try await api.get("/loyalty", as: user).data(Account.self)
    }

    @Test func aNewAccountIsBronzeWithNothingExpiring() async throws {
        try await withTestService(LoyaltyService.self) { api, _ in
            let fresh = try await account(api, TestEnvironment.uniqueUser())
            #expect(fresh.points == 0 && fresh.tier == .bronze && fresh.nextTier == .silver)
            #expect(fresh.expiringSoon == nil)
        }
    }

    @Test func anEarnAnswersWithTheBalanceAfterIt() async throws {
        try await withTestService(LoyaltyService.self) { api, _ in
            let user = TestEnvironment.uniqueUser()
            let earned = try #require(try await follow(api, user, steps: 1).first)
            #expect(try earned.status == .created && earned.data(LedgerEntry.self).balanceAfter == 500)
            #expect(try await account(api, user).tier == .bronze)
        }
    }

    @Test func lifetimePointsOfFiveHundredAndSevenFiftyReachSilver() async throws {
        try await withTestService(LoyaltyService.self) { api, _ in
            let user = TestEnvironment.uniqueUser()
            _ = try await follow(api, user, steps: 2)
            let a = try await account(api, user)
            #expect(a.tier == .silver && a.points == 1250 && a.pointsToNextTier == 3750)
        }
    }

    @Test func aRedemptionIsANegativeEntryThatKeepsLifetimePoints() async throws {
        try await withTestService(LoyaltyService.self) { api, _ in
            let user = TestEnvironment.uniqueUser()
            let redeemed = try #require(try await follow(api, user, steps: 3).last)
            #expect(try redeemed.status == .created && redeemed.data(LedgerEntry.self).points == -200)
            let a = try await account(api, user)
            #expect(a.points == 1050 && a.lifetimePoints == 1250 && a.redeemedPoints == 200)
        }
    }

    @Test func aRedemptionBeyondTheBalanceIsRefusedAndWritesNothing() async throws {
        try await withTestService(LoyaltyService.self) { api, app in
            let user = TestEnvironment.uniqueUser()
            _ = try await follow(api, user, steps: 3)
            let before = try await app.runtime.database.scalar("SELECT count(*)::int FROM transactions")
            let tooMuch = try await adminTransaction(api, transaction(user, "REDEEM", 5000, "Too much"))
            #expect(tooMuch.status == .badRequest && tooMuch.errorCode == "INSUFFICIENT_POINTS")
            #expect(try await app.runtime.database.scalar("SELECT count(*)::int FROM transactions") == before)
        }
    }

    @Test func aNegativeAdjustmentTakesLifetimePointsBack() async throws {
        try await withTestService(LoyaltyService.self) { api, _ in
            let user = TestEnvironment.uniqueUser()
            let adjusted = try #require(try await follow(api, user).last)
            #expect(adjusted.status == .created)
            let a = try await account(api, user)
            #expect(a.points == 1000 && a.lifetimePoints == 1200)
        }
    }

    /// History, newest first, filtered by type.
    @Test func historyIsNewestFirstAndFiltersByType() async throws {
        try await withTestService(LoyaltyService.self) { api, _ in
            let user = TestEnvironment.uniqueUser()
            _ = try await follow(api, user)
            let list = try await api.get("/loyalty/transactions?type=EARN", as: user).data(LoyaltyController.History.self).transactions
            #expect(list.map(\.points) == [750, 500])
            #expect(list.first?.expiresAt != nil && list.first?.referenceType == nil)
        }
    }

    /// The ledger sums to the balance, and one tier change (BRONZE → SILVER) was published.
    @Test func theLedgerSumsToTheBalanceAndEachChangeIsPublished() async throws {
        try await withTestService(LoyaltyService.self) { api, app in
            let user = TestEnvironment.uniqueUser()
            _ = try await follow(api, user)
            #expect(try await app.runtime.database.scalar("SELECT sum(points)::int FROM transactions WHERE user_id = \(user)") == 1000)
            #expect(
                try await app.runtime.database.scalar(
                    "SELECT count(*)::int FROM outbox WHERE key = \(user) AND topic = 'customer.loyalty_tier.changed'") == 1)
            #expect(
                try await app.runtime.database.scalar(
                    "SELECT count(*)::int FROM outbox WHERE key = \(user) AND topic = 'customer.loyalty_account.updated'") == 4)
        }
    }
}

/// Who may post transactions, what a valid one is, and what an Idempotency-Key means.
@Suite(.needsTestServers) struct TransactionRulesTests {
    @Test func invalidTransactionsNameEachField() async throws {
        try await withTestService(LoyaltyService.self) { api, _ in
            let user = TestEnvironment.uniqueUser()
            let bad = try await adminTransaction(
                api, ["userId": .string(user), "type": "EARN", "points": 0, "reason": "", "extra": 1])
            #expect(bad.status == .unprocessableContent)
            #expect(Set(bad.errorDetails.keys) == ["points", "reason", "extra"])
        }
    }

    @Test func customersMayNotPostTransactions() async throws {
        try await withTestService(LoyaltyService.self) { api, _ in
            let user = TestEnvironment.uniqueUser()
            let own = try await api.post("/loyalty/transactions", as: user, body: transaction(user, "EARN", 10, "x"))
            #expect(own.status == .forbidden)
        }
    }

    @Test func aRepeatedKeyAnswersWithTheFirstTransaction() async throws {
        try await withTestService(LoyaltyService.self) { api, app in
            let user = TestEnvironment.uniqueUser()
            let body = transaction(user, "EARN", 100, "Once")
            let first = try await adminTransaction(api, body, key: "key-\(user)")
            let second = try await adminTransaction(api, body, key: "key-\(user)")
            #expect(first.status == .created && second.status == .created)
            #expect(try first.data(LedgerEntry.self).id == second.data(LedgerEntry.self).id)
            #expect(try await api.get("/loyalty", as: user).data(Account.self).points == 100)
            #expect(try await app.runtime.database.scalar("SELECT count(*)::int FROM transactions WHERE user_id = \(user)") == 1)
        }
    }

    /// The key names one transaction: reused for another customer it is a 409 that shows
    /// nothing of the first.
    @Test func aKeyReusedForAnotherTransactionIsAConflictShowingNothing() async throws {
        try await withTestService(LoyaltyService.self) { api, app in
            let user = TestEnvironment.uniqueUser()
            let other = TestEnvironment.uniqueUser()
            #expect(try await adminTransaction(api, transaction(user, "EARN", 100, "Once"), key: "key-\(user)").status == .created)
            let reused = try await adminTransaction(api, transaction(other, "EARN", 100, "Once"), key: "key-\(user)")
            #expect(reused.status == .conflict && reused.errorCode == "CONFLICT")
            #expect(try reused.decode([String: JSONValue].self)["data"] == nil)
            #expect(try await app.runtime.database.scalar("SELECT count(*)::int FROM transactions WHERE user_id = \(other)") == 0)
        }
    }

    /// An empty, oversized or non-ASCII key is no key at all: a 422.
    @Test func aKeyMustBeVisibleASCIIOfAtMost255Characters() async throws {
        try await withTestService(LoyaltyService.self) { api, app in
            let other = TestEnvironment.uniqueUser()
            for key in ["", String(repeating: "k", count: 256), "caf\u{e9}"] {
                let refused = try await adminTransaction(api, transaction(other, "EARN", 5, "Bad key"), key: key)
                #expect(refused.status == .unprocessableContent && refused.errorDetails["Idempotency-Key"] != nil, "key \(key.prefix(10))")
            }
            #expect(try await app.runtime.database.scalar("SELECT count(*)::int FROM transactions WHERE user_id = \(other)") == 0)
        }
    }
}

@Suite(.needsTestServers) struct LedgerConcurrencyTests {
    @Test func fiftyConcurrentRedemptionsNeverOverdraw() async throws {
        try await withTestService(LoyaltyService.self, overrides: ["DATABASE_POOL_SIZE": "10"]) { api, app in
            let user = TestEnvironment.uniqueUser()
            _ = try await adminTransaction(api, transaction(user, "EARN", 1000, "Seed"))
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<50 {
                    group.addTask { try await adminTransaction(api, transaction(user, "REDEEM", 30, "Race")).status }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .created }.count == 33)
            #expect(statuses.filter { $0 == .badRequest }.count == 17)
            #expect(try await api.get("/loyalty", as: user).data(Account.self).points == 10)
            #expect(try await app.runtime.database.scalar("SELECT sum(points)::int FROM transactions WHERE user_id = \(user)") == 10)
            #expect(try await app.runtime.database.scalar("SELECT sum(remaining)::int FROM lots WHERE user_id = \(user)") == 10)
        }
    }

    /// A retried request racing its original: one write, every answer the first result —
    /// never INSUFFICIENT_POINTS from a balance the original already spent.
    @Test func concurrentRetriesWithOneIdempotencyKeyWriteOnce() async throws {
        try await withTestService(LoyaltyService.self, overrides: ["DATABASE_POOL_SIZE": "10"]) { api, app in
            let user = TestEnvironment.uniqueUser()
            _ = try await adminTransaction(api, transaction(user, "EARN", 1000, "Seed"))
            let answers = try await withThrowingTaskGroup(of: Answer.self) { group in
                for _ in 0..<10 {
                    group.addTask { try await adminTransaction(api, transaction(user, "REDEEM", 600, "Voucher"), key: "retry-\(user)") }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(answers.allSatisfy { $0.status == .created })
            #expect(try Set(answers.map { try $0.data(LedgerEntry.self).id }).count == 1)
            #expect(try await api.get("/loyalty", as: user).data(Account.self).points == 400)
            #expect(
                try await app.runtime.database.scalar(
                    "SELECT count(*)::int FROM transactions WHERE user_id = \(user) AND type = 'REDEEM'") == 1)
        }
    }

    @Test func theLedgerRejectsUpdateAndDelete() async throws {
        try await withTestService(LoyaltyService.self) { api, app in
            let user = TestEnvironment.uniqueUser()
            _ = try await adminTransaction(api, transaction(user, "EARN", 10, "x"))
            let database = app.runtime.database
            await #expect(throws: (any Error).self) { try await database.query("UPDATE transactions SET points = 1000 WHERE user_id = \(user)") }
            await #expect(throws: (any Error).self) { try await database.query("DELETE FROM transactions WHERE user_id = \(user)") }
            #expect(try await database.scalar("SELECT sum(points)::int FROM transactions WHERE user_id = \(user)") == 10)
        }
    }
}

@Suite(.needsTestServers) struct OrderEarningTests {
    @Test func anOrderEarnsOnceUnderRedeliveryAndDuplicateEvents() async throws {
        try await withTestServiceAndBroker(LoyaltyService.self, overrides: ["LOYALTY_POINTS_PER_POUND": "2"]) { _, app, brokers in
            let user = TestEnvironment.uniqueUser()
            let publisher = try TestPublisher(brokers: brokers)
            let order = OrderPaymentSucceeded(
                orderId: "order-\(user)", userId: user, totalAmount: Decimal(string: "123.99")!, items: [], paidAt: Date())
            // The same event redelivered, and a second event for the same order.
            try await publisher.publish(Topics.orderPaymentSucceeded, order, userId: user, source: "orders", times: 2)
            try await publisher.publish(Topics.orderPaymentSucceeded, order, userId: user, source: "orders")
            await publisher.shutdown()
            let database = app.runtime.database
            #expect(
                try await eventually {
                    try await database.scalar("SELECT coalesce(max(points_balance), 0)::int FROM accounts WHERE user_id = \(user)") > 0
                })
            try await Task.sleep(for: .milliseconds(500))
            // floor(123.99 × 2) = 247, once.
            #expect(try await database.scalar("SELECT points_balance FROM accounts WHERE user_id = \(user)") == 247)
            #expect(try await database.scalar("SELECT count(*)::int FROM transactions WHERE user_id = \(user)") == 1)
            #expect(
                try await database.scalar(
                    "SELECT count(*)::int FROM outbox WHERE key = \(user) AND topic = 'customer.loyalty_points.earned'") == 1)
        }
    }
}
