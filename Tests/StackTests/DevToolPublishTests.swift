import Contracts
import Foundation
import PostgresNIO
import TestSupport
import Testing

@testable import loyalty
@testable import profiles

/// `lw-dev publish`: the other platform services' events at hand, as they would send them.
@Suite(.needsStack) struct DevToolPublishTests {
    static func publish(_ arguments: [String]) async throws -> (status: Int32, stdout: String, stderr: String) {
        try await runCapturingOutput(
            TestEnvironment.binDirectory + "/lw-dev", ["publish"] + arguments + ["--brokers", TestEnvironment.kafkaBrokers],
            environment: ["PATH": "/usr/bin:/bin"])
    }

    /// An order paid moves the customer's points (loyalty), portal orders (profiles) and verified
    /// purchases (engagement), each context consuming the one event on its own.
    @Test func orderPaidMovesPointsPortalOrdersAndVerifiedPurchases() async throws {
        let user = TestEnvironment.uniqueUser()
        let product = "published-oak-\(UUID().uuidString.prefix(6))"
        let run = try await Self.publish(["order-paid", "--user", user, "--amount", "120.00", "--ref", "LW-DEV-1", "--product", product])
        #expect(run.status == 0, "\(run.stderr)")
        let envelope = try JSONDecoder().decode([String: JSONValue].self, from: Data(run.stdout.utf8))
        #expect(envelope["type"] == "order.payment.succeeded")
        #expect(envelope["userId"] == .string(user))

        #expect(try await eventually(timeout: .seconds(10)) { try await gateway.get("/loyalty", as: user).data(Account.self).points == 120 })
        #expect(
            try await eventually(timeout: .seconds(10)) {
                try await gateway.get("/portal/orders", as: user).data(PortalController.Orders.self).orders.first?.orderRef == "LW-DEV-1"
            })
        // engagement recorded the purchase, which makes the customer's reviews of it verified.
        #expect(
            try await eventually(timeout: .seconds(10)) {
                try await withDatabase(schema: "engagement") { database in
                    try await database.scalar("SELECT count(*)::int FROM purchases WHERE user_id = \(user) AND product_id = \(product)")
                } == 1
            })
        let review = try await gateway.post(
            "/reviews", as: user, body: ["productId": "\(product)", "rating": 5, "title": "Solid", "body": "Solid oak, well made."])
        #expect(try review.data([String: JSONValue].self)["verifiedPurchase"] == .bool(true))
    }

    @Test(arguments: [
        ["user-created", "--first-name", "Ada"], ["appointment-booked", "--type", "HOME"], ["brochure-requested"],
    ])
    func eachOtherServicesEventIsSentAsAnEnvelope(arguments: [String]) async throws {
        let user = TestEnvironment.uniqueUser()
        let run = try await Self.publish(arguments + ["--user", user])
        #expect(run.status == 0, "\(run.stderr)")
        let envelope = try JSONDecoder().decode([String: JSONValue].self, from: Data(run.stdout.utf8))
        #expect(envelope["userId"] == .string(user))
        guard case .object(let payload) = envelope["payload"] else {
            Issue.record("no payload: \(run.stdout)")
            return
        }
        #expect(payload["userId"] == .string(user))
    }

    @Test func anAmountThatIsNotOneIsRefused() async throws {
        let run = try await Self.publish(["order-paid", "--amount", "lots"])
        #expect(run.status != 0)
        #expect(run.stderr.contains("'lots' is not an amount in pounds"), "\(run.stderr)")
    }
}
