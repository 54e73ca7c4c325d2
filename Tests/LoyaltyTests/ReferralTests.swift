import Contracts
import Foundation
import HummingbirdTesting
@testable import loyalty
import Testing
import TestSupport

@Suite struct ReferralTests {
    @Test func codesAreGeneratedOnceAndValidatedWithTheReferrersName() async throws {
        try await withTestServiceAndBroker(LoyaltyService.self) { client, app, brokers in
            let referrer = TestEnvironment.uniqueUser()
            let first = try await call(client, .post, "/referrals/generate", as: referrer)
            let second = try await call(client, .post, "/referrals/generate", as: referrer)
            let code = try #require(first.data["code"] as? String)
            #expect(first.status == .created && second.status == .ok)
            #expect(second.data["code"] as? String == code && second.data["createdAt"] as? String == first.data["createdAt"] as? String)
            #expect(code.wholeMatch(of: /LW-[ABCDEFGHJKLMNPQRSTUVWXYZ23456789]{8}/) != nil)
            #expect(try await call(client, .post, "/referrals/generate", as: nil).status == .unauthorized)

            // Public: no token needed; malformed → 400, unknown → 404.
            let malformed = try await call(client, .get, "/referrals/validate/no!", as: nil)
            #expect(malformed.status == .badRequest && malformed.errorCode == "INVALID_REFERRAL_CODE")
            #expect(try await call(client, .get, "/referrals/validate/abc", as: nil).errorCode == "INVALID_REFERRAL_CODE")
            let unknown = try await call(client, .get, "/referrals/validate/NOPE-0000", as: nil)
            #expect(unknown.status == .notFound && unknown.errorCode == "NOT_FOUND")
            // Known, case-insensitively; no name is known yet (and that answer is now cached).
            let nameless = try await call(client, .get, "/referrals/validate/\(code.lowercased())", as: nil)
            #expect(nameless.status == .ok && nameless.data["valid"] as? Bool == true && nameless.data["code"] as? String == code)
            #expect(nameless.data["referrerName"] is NSNull)

            // The name arrives with customer.profile.updated and replaces the cached answer.
            let publisher = try TestPublisher(brokers: brokers)
            try await publisher.publish(Topics.profileUpdated, ProfileUpdated(
                userId: referrer, action: .updated, changedFields: ["firstName", "lastName"],
                firstName: "Jane", lastName: "doe", email: "jane@example.com", phone: nil), userId: referrer, source: "profiles")
            #expect(try await eventually {
                try await call(client, .get, "/referrals/validate/\(code)", as: nil).data["referrerName"] as? String == "Jane D."
            })
            // An older event arriving late changes nothing; anonymisation scrubs the name and
            // ends the code (CONTRACT §13: an erased customer's code stops working).
            let late = try await publisher.publish(Topics.profileUpdated, ProfileUpdated(
                userId: referrer, action: .updated, changedFields: ["firstName"], firstName: "Old", lastName: "Name",
                email: nil, phone: nil), userId: referrer, occurredAt: Date().addingTimeInterval(-3600), source: "profiles")
            #expect(try await eventually {
                try await app.hasProcessed(late.id)
            })
            #expect(try await call(client, .get, "/referrals/validate/\(code)", as: nil).data["referrerName"] as? String == "Jane D.")
            try await publisher.publish(Topics.profileAnonymized, ProfileAnonymized(userId: referrer, anonymizedAt: Date()),
                                        userId: referrer, source: "profiles")
            await publisher.shutdown()
            #expect(try await eventually {
                try await call(client, .get, "/referrals/validate/\(code)", as: nil).status == .notFound
            })
            #expect(try await app.runtime.database.scalar("SELECT count(*)::int FROM referral_codes WHERE user_id = \(referrer)") == 0)
            #expect(try await app.runtime.database.scalar("""
                SELECT count(*)::int FROM customer_names WHERE user_id = \(referrer) AND first_name IS NULL AND last_name IS NULL
                """) == 1)
        }
    }

    @Test func applyChecksInTheContractsOrderAndAdminCompletionCreditsBoth() async throws {
        try await withTestService(LoyaltyService.self) { client, app in
            let referrer = TestEnvironment.uniqueUser(), referee = TestEnvironment.uniqueUser()
            let code = try #require(try await call(client, .post, "/referrals/generate", as: referrer).data["code"] as? String)

            let missing = try await call(client, .post, "/referrals/apply", as: referee, body: "{}")
            #expect(missing.status == .unprocessableContent && missing.errorCode == "VALIDATION_ERROR")
            let malformed = try await call(client, .post, "/referrals/apply", as: referee, body: #"{"code":"x y"}"#)
            #expect(malformed.status == .badRequest && malformed.errorCode == "INVALID_REFERRAL_CODE")
            #expect(try await call(client, .post, "/referrals/apply", as: referee, body: #"{"code":"LW-UNKNOWN"}"#).status == .notFound)
            let own = try await call(client, .post, "/referrals/apply", as: referrer, body: #"{"code":"\#(code)"}"#)
            #expect(own.status == .badRequest && own.errorCode == "SELF_REFERRAL")

            let applied = try await call(client, .post, "/referrals/apply", as: referee, body: #"{"code":"\#(code.lowercased())"}"#)
            #expect(applied.status == .created)
            #expect(applied.data["status"] as? String == "PENDING" && applied.data["code"] as? String == code)
            #expect(applied.data["referrerId"] as? String == referrer && applied.data["refereeId"] as? String == referee)
            #expect(applied.data["referrerPointsAwarded"] as? Int == 0 && applied.data["completedAt"] is NSNull && applied.data["orderId"] is NSNull)
            let again = try await call(client, .post, "/referrals/apply", as: referee, body: #"{"code":"\#(code)"}"#)
            #expect(again.status == .conflict && again.errorCode == "CONFLICT")

            let listing = try await call(client, .get, "/referrals", as: referrer)
            #expect(listing.data["code"] as? String == code && (listing.data["referrals"] as? [Any])?.count == 1 && listing.meta["total"] as? Int == 1)
            let empty = try await call(client, .get, "/referrals", as: referee)
            #expect(empty.data["code"] is NSNull && (empty.data["referrals"] as? [Any])?.isEmpty == true)
            var stats = try await call(client, .get, "/referrals/stats", as: referrer).data
            #expect(stats["totalReferrals"] as? Int == 1 && stats["pendingReferrals"] as? Int == 1 && stats["completedReferrals"] as? Int == 0)

            // Completion is an admin's: 403 for the customer, 404 for an unknown or malformed id.
            let id = try #require(applied.data["id"] as? String)
            #expect(try await call(client, .patch, "/referrals/\(id)/complete", as: referrer, body: "{}").status == .forbidden)
            #expect(try await call(client, .patch, "/referrals/\(UUID())/complete", as: "admin-1", role: .admin, body: "{}").status == .notFound)
            #expect(try await call(client, .patch, "/referrals/nope/complete", as: "admin-1", role: .admin, body: "{}").status == .notFound)
            let completed = try await call(
                client, .patch, "/referrals/\(id)/complete", as: "admin-1", role: .admin, body: #"{"referrerPoints":300,"orderId":"order-9"}"#)
            #expect(completed.status == .ok && completed.data["status"] as? String == "COMPLETED")
            #expect(completed.data["referrerPointsAwarded"] as? Int == 300 && completed.data["refereePointsAwarded"] as? Int == 100)
            #expect(completed.data["orderId"] as? String == "order-9" && completed.data["completedAt"] is String)
            let twice = try await call(client, .patch, "/referrals/\(id)/complete", as: "admin-1", role: .admin, body: "{}")
            #expect(twice.status == .conflict && twice.errorCode == "INVALID_STATE")

            // Both balances were credited once, as EARN entries that point at the referral.
            #expect(try await call(client, .get, "/loyalty", as: referrer).data["points"] as? Int == 300)
            #expect(try await call(client, .get, "/loyalty", as: referee).data["points"] as? Int == 100)
            let history = try await call(client, .get, "/loyalty/transactions", as: referee).data["transactions"] as? [[String: Any]] ?? []
            #expect(history.count == 1 && history.first?["type"] as? String == "EARN")
            #expect(history.first?["referenceType"] as? String == "REFERRAL" && history.first?["referenceId"] as? String == id)
            stats = try await call(client, .get, "/referrals/stats", as: referrer).data
            #expect(stats["completedReferrals"] as? Int == 1 && stats["pendingReferrals"] as? Int == 0 && stats["totalPointsEarned"] as? Int == 300)
            #expect(try await app.runtime.database.scalar(
                "SELECT count(*)::int FROM outbox WHERE topic = 'customer.referral.completed' AND key = \(referrer)") == 1)
        }
    }

    @Test func aPendingReferralCompletesOnTheRefereesFirstPaidOrder() async throws {
        try await withTestServiceAndBroker(LoyaltyService.self) { client, app, brokers in
            let referrer = TestEnvironment.uniqueUser(), referee = TestEnvironment.uniqueUser()
            let code = try #require(try await call(client, .post, "/referrals/generate", as: referrer).data["code"] as? String)
            let id = try #require(try await call(client, .post, "/referrals/apply", as: referee, body: #"{"code":"\#(code)"}"#).data["id"] as? String)

            let publisher = try TestPublisher(brokers: brokers)
            let first = OrderPaymentSucceeded(orderId: "order-a-\(referee)", userId: referee, totalAmount: 40, items: [], paidAt: Date())
            let second = OrderPaymentSucceeded(orderId: "order-b-\(referee)", userId: referee, totalAmount: 10, items: [], paidAt: Date())
            try await publisher.publish(Topics.orderPaymentSucceeded, first, userId: referee, source: "orders", times: 2)
            try await publisher.publish(Topics.orderPaymentSucceeded, second, userId: referee, source: "orders")
            await publisher.shutdown()

            let database = app.runtime.database
            #expect(try await eventually {
                try await database.scalar("SELECT coalesce(sum(points), 0)::int FROM transactions WHERE user_id = \(referee)") == 150
            })
            let referral = try await call(client, .get, "/referrals", as: referrer).data["referrals"] as? [[String: Any]] ?? []
            #expect(referral.first?["id"] as? String == id && referral.first?["status"] as? String == "COMPLETED")
            #expect(referral.first?["orderId"] as? String == "order-a-\(referee)")
            // 40 + 10 for the orders and 100 as the referee; 250 for the referrer, once.
            #expect(try await call(client, .get, "/loyalty", as: referee).data["points"] as? Int == 150)
            #expect(try await call(client, .get, "/loyalty", as: referrer).data["points"] as? Int == 250)
            #expect(try await database.scalar("SELECT count(*)::int FROM transactions WHERE reference_type = 'REFERRAL'") == 2)
            #expect(try await database.scalar("SELECT count(*)::int FROM outbox WHERE topic = 'customer.referral.completed'") == 1)
        }
    }
}
