import Contracts
import Foundation
import HTTPTypes
import PostgresNIO
import TestSupport
import Testing

@testable import loyalty

/// CONTRACT §9's rules that need orders from the dev broker: referrals are for new customers,
/// a pair cannot refer each other, and only the referee's first paid order completes one.
@Suite(.needsStack) struct ReferralRulesTests {
    static func code(of user: String) async throws -> String {
        try await gateway.post("/referrals/generate", as: user).data(ReferralController.Generated.self).code
    }

    static func apply(_ code: String, as user: String) async throws -> Answer {
        try await gateway.post("/referrals/apply", as: user, body: ["code": "\(code)"])
    }

    /// `user`'s points balance.
    static func points(of user: String) async throws -> Int {
        try await gateway.get("/loyalty", as: user).data(Account.self).points
    }

    /// Publishes a paid order of `user` and waits until loyalty has earned on it.
    static func paidOrder(_ orderId: String, of user: String, pointsAfter points: Int) async throws {
        let publisher = try TestPublisher(brokers: TestEnvironment.kafkaBrokers)
        try await publisher.publish(
            Topics.orderPaymentSucceeded,
            OrderPaymentSucceeded(
                orderId: orderId, userId: user, totalAmount: 100, items: [.init(productId: "oak-table", quantity: 1, unitPrice: 100)],
                paidAt: Date()),
            userId: user, source: "orders")
        await publisher.shutdown()
        #expect(try await eventually(timeout: .seconds(10)) { try await Self.points(of: user) == points })
    }

    static func referral(of referee: String, by referrer: String) async throws -> Referral? {
        let referrals = try await gateway.get("/referrals", as: referrer).data(ReferralController.Listing.self).referrals
        return referrals.first { Array($0.refereeId.utf8) == Array(referee.utf8) }
    }

    @Test func twoCustomersCannotReferEachOther() async throws {
        let ada = TestEnvironment.uniqueUser()
        let bob = TestEnvironment.uniqueUser()
        let adaCode = try await Self.code(of: ada)
        let bobCode = try await Self.code(of: bob)
        #expect(try await Self.apply(adaCode, as: bob).status == .created)
        let back = try await Self.apply(bobCode, as: ada)
        #expect(back.status == .badRequest)
        #expect(back.errorCode == "SELF_REFERRAL")
        #expect(try await gateway.get("/referrals/stats", as: bob).data(ReferralStore.Stats.self).totalReferrals == 0)
    }

    @Test func bothAtOnceLeaveAtMostOneReferral() async throws {
        for _ in 0..<5 {
            let ada = TestEnvironment.uniqueUser()
            let bob = TestEnvironment.uniqueUser()
            let adaCode = try await Self.code(of: ada)
            let bobCode = try await Self.code(of: bob)
            async let first = Self.apply(adaCode, as: bob)
            async let second = Self.apply(bobCode, as: ada)
            let statuses = try await [first.status, second.status].sorted { $0.code < $1.code }
            #expect(statuses == [.created, .badRequest])
        }
    }

    @Test func aCustomerWithAPaidOrderCannotBeReferred() async throws {
        let referrer = TestEnvironment.uniqueUser()
        let customer = TestEnvironment.uniqueUser()
        let code = try await Self.code(of: referrer)
        try await Self.paidOrder("order-\(customer)", of: customer, pointsAfter: 100)
        let applied = try await Self.apply(code, as: customer)
        #expect(applied.status == .conflict)
        #expect(applied.errorCode == "CONFLICT")
        #expect(try await Self.referral(of: customer, by: referrer) == nil)
    }

    @Test func onlyTheRefereesFirstPaidOrderCompletesAReferral() async throws {
        let referrer = TestEnvironment.uniqueUser()
        let referee = TestEnvironment.uniqueUser()
        let late = TestEnvironment.uniqueUser()
        let code = try await Self.code(of: referrer)
        #expect(try await Self.apply(code, as: referee).status == .created)
        try await Self.paidOrder("first-\(referee)", of: referee, pointsAfter: 100 + 100)  // 100 earned, 100 as the referee
        let completed = try #require(try await Self.referral(of: referee, by: referrer))
        #expect(completed.status == .completed && completed.orderId == "first-\(referee)")
        #expect(try await Self.points(of: referrer) == 250)

        // A referral that exists although its referee had paid before (applied while the first
        // order was on its way): the next order does not complete it.
        try await Self.paidOrder("first-\(late)", of: late, pointsAfter: 100)
        try await withDatabase(schema: "loyalty") { database in
            try await database.query(
                """
                INSERT INTO referrals (id, code, referrer_id, referee_id) VALUES (\(UUID()), \(code), \(referrer), \(late))
                """)
        }
        try await Self.paidOrder("second-\(late)", of: late, pointsAfter: 200)
        #expect(try await Self.referral(of: late, by: referrer)?.status == .pending)
        #expect(try await Self.points(of: referrer) == 250)
    }
}
