import Contracts
import Foundation
import HTTPKit
import NIOHTTP1
import PostgresNIO
import Testing
import TestSupport

/// CONTRACT §9's rules that need orders from the dev broker: referrals are for new customers,
/// a pair cannot refer each other, and only the referee's first paid order completes one.
@Suite struct ReferralRulesTests {
    static func code(of user: String) async throws -> String {
        try #require(try data(await send(.POST, "/referrals/generate", as: user))["code"] as? String)
    }

    static func apply(_ code: String, as user: String) async throws -> Gateway.Reply {
        try await send(.POST, "/referrals/apply", as: user, json: #"{"code":"\#(code)"}"#)
    }

    static func errorCode(_ reply: Gateway.Reply) throws -> String? {
        (try reply.json()["error"] as? [String: Any])?["code"] as? String
    }

    /// Publishes a paid order of `user` and waits until loyalty has earned on it.
    static func paidOrder(_ orderId: String, of user: String, pointsAfter points: Int) async throws {
        let publisher = try TestPublisher(brokers: TestEnvironment.kafkaBrokers)
        try await publisher.publish(Topics.orderPaymentSucceeded, OrderPaymentSucceeded(
            orderId: orderId, userId: user, totalAmount: 100, items: [.init(productId: "oak-table", quantity: 1, unitPrice: 100)], paidAt: Date()),
            userId: user, source: "orders")
        await publisher.shutdown()
        #expect(try await eventually(timeout: .seconds(10)) { try data(await send(.GET, "/loyalty", as: user))["points"] as? Int == points })
    }

    static func referral(of referee: String, by referrer: String) async throws -> [String: Any]? {
        let referrals = try data(await send(.GET, "/referrals", as: referrer))["referrals"] as? [[String: Any]] ?? []
        return referrals.first { ($0["refereeId"] as? String).map { Array($0.utf8) == Array(referee.utf8) } == true }
    }

    @Test func twoCustomersCannotReferEachOther() async throws {
        let ada = TestEnvironment.uniqueUser(), bob = TestEnvironment.uniqueUser()
        let adaCode = try await Self.code(of: ada), bobCode = try await Self.code(of: bob)
        #expect(try await Self.apply(adaCode, as: bob).status == 201)
        let back = try await Self.apply(bobCode, as: ada)
        #expect(back.status == 400)
        #expect(try Self.errorCode(back) == "SELF_REFERRAL")
        #expect(try data(await send(.GET, "/referrals/stats", as: bob))["totalReferrals"] as? Int == 0)
    }

    @Test func bothAtOnceLeaveAtMostOneReferral() async throws {
        for _ in 0..<5 {
            let ada = TestEnvironment.uniqueUser(), bob = TestEnvironment.uniqueUser()
            let adaCode = try await Self.code(of: ada), bobCode = try await Self.code(of: bob)
            async let first = Self.apply(adaCode, as: bob)
            async let second = Self.apply(bobCode, as: ada)
            let statuses = try await [first.status, second.status].sorted()
            #expect(statuses == [201, 400])
        }
    }

    @Test func aCustomerWithAPaidOrderCannotBeReferred() async throws {
        let referrer = TestEnvironment.uniqueUser(), customer = TestEnvironment.uniqueUser()
        let code = try await Self.code(of: referrer)
        try await Self.paidOrder("order-\(customer)", of: customer, pointsAfter: 100)
        let applied = try await Self.apply(code, as: customer)
        #expect(applied.status == 409)
        #expect(try Self.errorCode(applied) == "CONFLICT")
        #expect(try await Self.referral(of: customer, by: referrer) == nil)
    }

    @Test func onlyTheRefereesFirstPaidOrderCompletesAReferral() async throws {
        let referrer = TestEnvironment.uniqueUser(), referee = TestEnvironment.uniqueUser(), late = TestEnvironment.uniqueUser()
        let code = try await Self.code(of: referrer)
        #expect(try await Self.apply(code, as: referee).status == 201)
        try await Self.paidOrder("first-\(referee)", of: referee, pointsAfter: 100 + 100)  // 100 earned, 100 as the referee
        let completed = try #require(try await Self.referral(of: referee, by: referrer))
        #expect(completed["status"] as? String == "COMPLETED" && completed["orderId"] as? String == "first-\(referee)")
        #expect(try data(await send(.GET, "/loyalty", as: referrer))["points"] as? Int == 250)

        // A referral that exists although its referee had paid before (applied while the first
        // order was on its way): the next order does not complete it.
        try await Self.paidOrder("first-\(late)", of: late, pointsAfter: 100)
        try await withDatabase(schema: "loyalty") { database in
            try await database.query("""
                INSERT INTO referrals (id, code, referrer_id, referee_id) VALUES (\(UUID()), \(code), \(referrer), \(late))
                """)
        }
        try await Self.paidOrder("second-\(late)", of: late, pointsAfter: 200)
        #expect(try await Self.referral(of: late, by: referrer)?["status"] as? String == "PENDING")
        #expect(try data(await send(.GET, "/loyalty", as: referrer))["points"] as? Int == 250)
    }
}
