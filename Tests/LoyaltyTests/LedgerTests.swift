import Contracts
import Foundation
import Hummingbird
import HummingbirdTesting
@testable import loyalty
import PostgresNIO
import Testing
import TestSupport

@Suite struct LedgerTests {
    func post(_ client: any TestClientProtocol, _ body: String, key: String? = nil) async throws -> (HTTPResponse.Status, [String: Any]) {
        let answer = try await adminTransaction(client, body, key: key)
        return (answer.status, answer.json)
    }

    func account(_ client: any TestClientProtocol, _ user: String) async throws -> [String: Any] {
        try await call(client, .get, "/loyalty", as: user).data
    }

    @Test func theReferenceFlow() async throws {
        try await withTestService(LoyaltyService.self) { client, app in
            let user = TestEnvironment.uniqueUser()
            let fresh = try await account(client, user)
            #expect(fresh["points"] as? Int == 0 && fresh["tier"] as? String == "BRONZE" && fresh["nextTier"] as? String == "SILVER")
            #expect(fresh["expiringSoon"] is NSNull)

            var (status, json) = try await post(client, #"{"userId":"\#(user)","type":"EARN","points":500,"reason":"Order"}"#)
            #expect(status == .created && (json["data"] as? [String: Any])?["balanceAfter"] as? Int == 500)
            #expect(try await account(client, user)["tier"] as? String == "BRONZE")
            (status, _) = try await post(client, #"{"userId":"\#(user)","type":"EARN","points":750,"reason":"Order"}"#)
            var a = try await account(client, user)
            #expect(a["tier"] as? String == "SILVER" && a["points"] as? Int == 1250 && a["pointsToNextTier"] as? Int == 3750)
            (status, json) = try await post(client, #"{"userId":"\#(user)","type":"REDEEM","points":200,"reason":"Voucher"}"#)
            #expect(status == .created && (json["data"] as? [String: Any])?["points"] as? Int == -200)
            a = try await account(client, user)
            #expect(a["points"] as? Int == 1050 && a["lifetimePoints"] as? Int == 1250 && a["redeemedPoints"] as? Int == 200)
            let before = try await app.runtime.database.scalar("SELECT count(*)::int FROM transactions")
            (status, json) = try await post(client, #"{"userId":"\#(user)","type":"REDEEM","points":5000,"reason":"Too much"}"#)
            #expect(status == .badRequest && (json["error"] as? [String: Any])?["code"] as? String == "INSUFFICIENT_POINTS")
            #expect(try await app.runtime.database.scalar("SELECT count(*)::int FROM transactions") == before)
            (status, _) = try await post(client, #"{"userId":"\#(user)","type":"ADJUST","points":-50,"reason":"Correction"}"#)
            #expect(status == .created)
            a = try await account(client, user)
            #expect(a["points"] as? Int == 1000 && a["lifetimePoints"] as? Int == 1200)

            // History, newest first, filtered by type.
            let token = try await TestEnvironment.token(user)
            try await client.execute(uri: "/v1/customers/loyalty/transactions?type=EARN", method: .get, headers: bearer(token)) { (r: TestResponse) async throws in
                let list = ((try r.json()["data"] as? [String: Any])?["transactions"] as? [[String: Any]]) ?? []
                #expect(list.map { $0["points"] as? Int } == [750, 500])
                #expect(list.first?["expiresAt"] is String && list.first?["referenceType"] is NSNull)
            }
            // The ledger sums to the balance, and one tier change (BRONZE → SILVER) was published.
            #expect(try await app.runtime.database.scalar("SELECT sum(points)::int FROM transactions WHERE user_id = \(user)") == 1000)
            #expect(try await app.runtime.database.scalar("SELECT count(*)::int FROM outbox WHERE key = \(user) AND topic = 'customer.loyalty_tier.changed'") == 1)
            #expect(try await app.runtime.database.scalar("SELECT count(*)::int FROM outbox WHERE key = \(user) AND topic = 'customer.loyalty_account.updated'") == 4)
        }
    }

    @Test func validationRolesAndIdempotency() async throws {
        try await withTestService(LoyaltyService.self) { client, app in
            let user = TestEnvironment.uniqueUser()
            let (bad, json) = try await post(client, #"{"userId":"\#(user)","type":"EARN","points":0,"reason":"","extra":1}"#)
            #expect(bad == .unprocessableContent)
            let fields = Set(((json["error"] as? [String: Any])?["details"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String })
            #expect(fields == ["points", "reason", "extra"])
            let customer = try await TestEnvironment.token(user)
            try await client.execute(uri: "/v1/customers/loyalty/transactions", method: .post, headers: bearer(customer, jsonHeaders),
                                     body: jsonBody(#"{"userId":"\#(user)","type":"EARN","points":10,"reason":"x"}"#)) { (r: TestResponse) async throws in
                #expect(r.status == .forbidden)
            }
            let body = #"{"userId":"\#(user)","type":"EARN","points":100,"reason":"Once"}"#
            let (first, firstJSON) = try await post(client, body, key: "key-\(user)")
            let (second, secondJSON) = try await post(client, body, key: "key-\(user)")
            #expect(first == .created && second == .created)
            #expect((firstJSON["data"] as? [String: Any])?["id"] as? String == (secondJSON["data"] as? [String: Any])?["id"] as? String)
            #expect(try await account(client, user)["points"] as? Int == 100)
            #expect(try await app.runtime.database.scalar("SELECT count(*)::int FROM transactions WHERE user_id = \(user)") == 1)

            // The key names one transaction: reused for another customer it is a 409 that shows
            // nothing of the first; an empty or oversized key is no key at all.
            let other = TestEnvironment.uniqueUser()
            let reused = try await adminTransaction(client, #"{"userId":"\#(other)","type":"EARN","points":100,"reason":"Once"}"#, key: "key-\(user)")
            #expect(reused.status == .conflict && reused.errorCode == "CONFLICT" && reused.data.isEmpty)
            for key in ["", String(repeating: "k", count: 256), "caf\u{e9}"] {
                let refused = try await adminTransaction(client, #"{"userId":"\#(other)","type":"EARN","points":5,"reason":"Bad key"}"#, key: key)
                #expect(refused.status == .unprocessableContent && refused.errorDetails["Idempotency-Key"] != nil, "key \(key.prefix(10))")
            }
            #expect(try await app.runtime.database.scalar("SELECT count(*)::int FROM transactions WHERE user_id = \(other)") == 0)
        }
    }

    @Test func fiftyConcurrentRedemptionsNeverOverdraw() async throws {
        try await withTestService(LoyaltyService.self, overrides: ["DATABASE_POOL_SIZE": "10"]) { client, app in
            let user = TestEnvironment.uniqueUser()
            _ = try await post(client, #"{"userId":"\#(user)","type":"EARN","points":1000,"reason":"Seed"}"#)
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<50 {
                    group.addTask { try await post(client, #"{"userId":"\#(user)","type":"REDEEM","points":30,"reason":"Race"}"#).0 }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .created }.count == 33)
            #expect(statuses.filter { $0 == .badRequest }.count == 17)
            let a = try await account(client, user)
            #expect(a["points"] as? Int == 10)
            #expect(try await app.runtime.database.scalar("SELECT sum(points)::int FROM transactions WHERE user_id = \(user)") == 10)
            #expect(try await app.runtime.database.scalar("SELECT sum(remaining)::int FROM lots WHERE user_id = \(user)") == 10)
        }
    }

    /// A retried request racing its original: one write, every answer the first result —
    /// never INSUFFICIENT_POINTS from a balance the original already spent.
    @Test func concurrentRetriesWithOneIdempotencyKeyWriteOnce() async throws {
        try await withTestService(LoyaltyService.self, overrides: ["DATABASE_POOL_SIZE": "10"]) { client, app in
            let user = TestEnvironment.uniqueUser()
            _ = try await post(client, #"{"userId":"\#(user)","type":"EARN","points":1000,"reason":"Seed"}"#)
            let answers = try await withThrowingTaskGroup(of: Answer.self) { group in
                for _ in 0..<10 {
                    group.addTask {
                        try await adminTransaction(client, #"{"userId":"\#(user)","type":"REDEEM","points":600,"reason":"Voucher"}"#, key: "retry-\(user)")
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(answers.allSatisfy { $0.status == .created })
            #expect(Set(answers.compactMap { $0.data["id"] as? String }).count == 1)
            #expect(try await account(client, user)["points"] as? Int == 400)
            #expect(try await app.runtime.database.scalar("SELECT count(*)::int FROM transactions WHERE user_id = \(user) AND type = 'REDEEM'") == 1)
        }
    }

    @Test func theLedgerRejectsUpdateAndDelete() async throws {
        try await withTestService(LoyaltyService.self) { client, app in
            let user = TestEnvironment.uniqueUser()
            _ = try await post(client, #"{"userId":"\#(user)","type":"EARN","points":10,"reason":"x"}"#)
            let database = app.runtime.database
            await #expect(throws: (any Error).self) { try await database.query("UPDATE transactions SET points = 1000 WHERE user_id = \(user)") }
            await #expect(throws: (any Error).self) { try await database.query("DELETE FROM transactions WHERE user_id = \(user)") }
            #expect(try await database.scalar("SELECT sum(points)::int FROM transactions WHERE user_id = \(user)") == 10)
        }
    }
}

@Suite struct OrderEarningTests {
    @Test func anOrderEarnsOnceUnderRedeliveryAndDuplicateEvents() async throws {
        try await withTestServiceAndBroker(LoyaltyService.self, overrides: ["LOYALTY_POINTS_PER_POUND": "2"]) { _, app, brokers in
            let user = TestEnvironment.uniqueUser()
            let publisher = try TestPublisher(brokers: brokers)
            let order = OrderPaymentSucceeded(orderId: "order-\(user)", userId: user, totalAmount: Decimal(string: "123.99")!, items: [], paidAt: Date())
            // The same event redelivered, and a second event for the same order.
            try await publisher.publish(Topics.orderPaymentSucceeded, order, userId: user, source: "orders", times: 2)
            try await publisher.publish(Topics.orderPaymentSucceeded, order, userId: user, source: "orders")
            await publisher.shutdown()
            let database = app.runtime.database
            #expect(try await eventually {
                try await database.scalar("SELECT coalesce(max(points_balance), 0)::int FROM accounts WHERE user_id = \(user)") > 0
            })
            try await Task.sleep(for: .milliseconds(500))
            // floor(123.99 × 2) = 247, once.
            #expect(try await database.scalar("SELECT points_balance FROM accounts WHERE user_id = \(user)") == 247)
            #expect(try await database.scalar("SELECT count(*)::int FROM transactions WHERE user_id = \(user)") == 1)
            #expect(try await database.scalar("SELECT count(*)::int FROM outbox WHERE key = \(user) AND topic = 'customer.loyalty_points.earned'") == 1)
        }
    }
}
