import Contracts
import Foundation
import HTTPTypes
import TestSupport
import Testing

@testable import loyalty
@testable import profiles

/// Loyalty with the other contexts, through the gateway and the stack's broker: names from
/// profiles reach referral validation, points reach the profiles dashboard, and one paid
/// order feeds the portal, the ledger and the referral.
@Suite(.needsStack) struct LoyaltyAcrossContextsTests {
    static func code(of user: String) async throws -> String {
        try await gateway.post("/referrals/generate", as: user).data(ReferralController.Generated.self).code
    }

    /// profiles → loyalty: the referrer's name, for the public validation.
    @Test func theReferrersNameFromProfilesReachesTheCodesValidation() async throws {
        let referrer = TestEnvironment.uniqueUser()
        #expect(try await gateway.post("/profile", as: referrer, body: ["firstName": "Ada", "lastName": "lovelace"]).status == .created)
        let code = try await Self.code(of: referrer)
        #expect(
            try await eventually(timeout: .seconds(10)) {
                try await gateway.get("/referrals/validate/\(code)", as: nil).data(ReferralStore.Validation.self).referrerName == "Ada L."
            })
    }

    /// loyalty → profiles: the dashboard's points and tier.
    @Test func earnedPointsReachTheDashboardWithTheirTier() async throws {
        let customer = TestEnvironment.uniqueUser()
        let earn = try await gateway.post(
            "/loyalty/transactions", as: "admin-1", role: .admin,
            body: ["userId": "\(customer)", "type": "EARN", "points": 1200, "reason": "Welcome"])
        #expect(earn.status == .created)
        #expect(
            try await eventually(timeout: .seconds(10)) {
                let points = try await gateway.get("/dashboard", as: customer).data(Dashboard.self).loyaltyPoints
                return points.current == 1200 && points.tier == .silver
            })
    }

    /// orders → profiles and loyalty: the referee's first paid order earns them points and
    /// the referee's bonus, completes the referral (the referrer's reward), and reaches the
    /// portal, which profiles fills from the same event on its own.
    @Test func aRefereesFirstPaidOrderFeedsTheLedgerTheReferralAndThePortal() async throws {
        let referrer = TestEnvironment.uniqueUser()
        let referee = TestEnvironment.uniqueUser()
        let code = try await Self.code(of: referrer)
        #expect(try await gateway.post("/referrals/apply", as: referee, body: ["code": "\(code)"]).status == .created)
        let publisher = try TestPublisher(brokers: TestEnvironment.kafkaBrokers)
        try await publisher.publish(
            Topics.orderPaymentSucceeded,
            OrderPaymentSucceeded(
                orderId: "order-\(referee)", orderRef: "LW-1001", userId: referee, totalAmount: Decimal(string: "59.50")!,
                items: [.init(productId: "oak-table", quantity: 1, unitPrice: Decimal(string: "59.50")!)], paidAt: Date()),
            userId: referee, source: "orders")
        await publisher.shutdown()
        // 59 earned on the order, 100 as the referee.
        #expect(
            try await eventually(timeout: .seconds(10)) {
                try await gateway.get("/loyalty", as: referee).data(Account.self).points == 159
            })
        // profiles consumes the same event on its own.
        #expect(
            try await eventually(timeout: .seconds(10)) {
                try await gateway.get("/portal/orders", as: referee).data(PortalController.Orders.self).orders.first?.orderRef == "LW-1001"
            })
        let referrals = try await gateway.get("/referrals", as: referrer).data(ReferralController.Listing.self).referrals
        #expect(referrals.first?.status == .completed && referrals.first?.orderId == "order-\(referee)")
        // The referrer's reward, 250 points.
        #expect(try await gateway.get("/loyalty", as: referrer).data(Account.self).points == 250)
    }
}
