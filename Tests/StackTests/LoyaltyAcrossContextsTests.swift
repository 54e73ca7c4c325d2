import Contracts
import Foundation
import NIOHTTP1
import Testing
import TestSupport

/// Loyalty with the other contexts, through the gateway and the stack's broker: names from
/// profiles reach referral validation, points reach the profiles dashboard, and one paid
/// order feeds the portal, the ledger and the referral.
@Suite struct LoyaltyAcrossContextsTests {
    @Test func namesPointsAndOrdersFlowBetweenContexts() async throws {
        let referrer = TestEnvironment.uniqueUser(), referee = TestEnvironment.uniqueUser()
        #expect(try await send(.POST, "/profile", as: referrer, json: #"{"firstName":"Ada","lastName":"lovelace"}"#).status == 201)
        let code = try #require(try data(await send(.POST, "/referrals/generate", as: referrer))["code"] as? String)

        // profiles → loyalty: the referrer's name, for the public validation.
        #expect(try await eventually(timeout: .seconds(10)) {
            try data(await Gateway.get("/v1/customers/referrals/validate/\(code)"))["referrerName"] as? String == "Ada L."
        })

        // loyalty → profiles: the dashboard's points.
        let earn = try await send(.POST, "/loyalty/transactions", as: "admin-1", role: .admin,
                                  json: #"{"userId":"\#(referrer)","type":"EARN","points":1200,"reason":"Welcome"}"#)
        #expect(earn.status == 201)
        #expect(try await eventually(timeout: .seconds(10)) {
            let points = try data(await send(.GET, "/dashboard", as: referrer))["loyaltyPoints"] as? [String: Any]
            return points?["current"] as? Int == 1200 && points?["tier"] as? String == "SILVER"
        })

        // orders → profiles and loyalty: the referee's first paid order.
        #expect(try await send(.POST, "/referrals/apply", as: referee, json: #"{"code":"\#(code)"}"#).status == 201)
        let publisher = try TestPublisher(brokers: TestEnvironment.kafkaBrokers)
        try await publisher.publish(Topics.orderPaymentSucceeded, OrderPaymentSucceeded(
            orderId: "order-\(referee)", orderRef: "LW-1001", userId: referee, totalAmount: Decimal(string: "59.50")!,
            items: [.init(productId: "oak-table", quantity: 1, unitPrice: Decimal(string: "59.50")!)], paidAt: Date()),
            userId: referee, source: "orders")
        await publisher.shutdown()
        #expect(try await eventually(timeout: .seconds(10)) {
            try data(await send(.GET, "/loyalty", as: referee))["points"] as? Int == 159
        })
        // profiles consumes the same event on its own.
        #expect(try await eventually(timeout: .seconds(10)) {
            let orders = try data(await send(.GET, "/portal/orders", as: referee))["orders"] as? [[String: Any]] ?? []
            return orders.first?["orderRef"] as? String == "LW-1001"
        })
        let referrals = try data(await send(.GET, "/referrals", as: referrer))["referrals"] as? [[String: Any]] ?? []
        #expect(referrals.first?["status"] as? String == "COMPLETED" && referrals.first?["orderId"] as? String == "order-\(referee)")
        #expect(try data(await send(.GET, "/loyalty", as: referrer))["points"] as? Int == 1450)
    }
}
