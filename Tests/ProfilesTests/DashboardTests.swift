import Contracts
import Foundation
import HummingbirdTesting
@testable import profiles
import Testing
import TestSupport

@Suite struct DashboardTests {
    func get(_ client: any TestClientProtocol, _ token: String, _ path: String) async throws -> [String: Any] {
        try await client.execute(uri: "/v1/customers" + path, method: .get, headers: bearer(token)) { r in
            #expect(r.status == .ok, "\(path)")
            return try r.json()
        }
    }

    @Test func onboardingAdvancesStepByStep() async throws {
        try await withTestServiceAndBroker(ProfilesService.self) { client, _, brokers in
            let user = TestEnvironment.uniqueUser()
            let token = try await TestEnvironment.token(user)
            func status() async throws -> (Int, Int, [String: Bool]) {
                let data = try await get(client, token, "/onboarding-status")["data"] as? [String: Any] ?? [:]
                let steps = (data["steps"] as? [[String: Any]] ?? []).reduce(into: [String: Bool]()) { $0[$1["key"] as? String ?? ""] = $1["done"] as? Bool }
                return (data["completedSteps"] as? Int ?? -1, data["percentComplete"] as? Int ?? -1, steps)
            }
            #expect(try await status().0 == 0)
            _ = try await client.execute(uri: "/v1/customers/profile", method: .post, headers: bearer(token, jsonHeaders), body: jsonBody(#"{"firstName":"A","lastName":"B"}"#)) { $0.status }
            #expect(try await status().0 == 1)
            _ = try await client.execute(uri: "/v1/customers/addresses", method: .post, headers: bearer(token, jsonHeaders), body: jsonBody(#"{"line1":"1","city":"C","postcode":"M1 1AE"}"#)) { $0.status }
            _ = try await get(client, token, "/notification-preferences")
            let (two, fifty, steps) = try await status()
            #expect(two == 2 && fifty == 50 && steps["notificationPreferences"] == false && steps["address"] == true)
            _ = try await client.execute(uri: "/v1/customers/notification-preferences", method: .put, headers: bearer(token, jsonHeaders), body: jsonBody("{}")) { $0.status }
            #expect(try await status().0 == 3)

            let publisher = try TestPublisher(brokers: brokers)
            try await publisher.publish(Topics.wishlistUpdated, WishlistUpdated(userId: user, action: .added, productId: "p1", itemCount: 1), userId: user, times: 2)
            await publisher.shutdown()
            var done = (0, 0, [String: Bool]())
            for _ in 0..<200 where done.0 != 4 {
                done = try await status()
                if done.0 != 4 { try await Task.sleep(for: .milliseconds(50)) }
            }
            #expect(done.0 == 4 && done.1 == 100)
            let quick = try await get(client, token, "/dashboard")["data"] as? [String: Any]
            #expect((quick?["quickActions"] as? [Any])?.isEmpty == true)
        }
    }

    @Test func dashboardAndPortalReflectOtherContextsEventsInAnyOrder() async throws {
        try await withTestServiceAndBroker(ProfilesService.self) { client, _, brokers in
            let user = TestEnvironment.uniqueUser()
            let token = try await TestEnvironment.token(user)
            // Every event is published twice (a redelivery): its effect must happen once.
            let publisher = try TestPublisher(brokers: brokers)
            func publish<P>(_ topic: Topic<P>, _ payload: P, userId: String, occurredAt: Date = Date()) async throws {
                try await publisher.publish(topic, payload, userId: userId, occurredAt: occurredAt, times: 2)
            }
            let now = Date()
            let ticket = UUID()
            // The newer ticket state is published before the older one: the newer must win.
            try await publish(Topics.supportTicketUpdated, SupportTicketUpdated(
                ticketId: ticket, ticketRef: "TKT-ABCD1234", userId: user, subject: "Door hinge", status: .waitingOnCustomer,
                priority: .high, assignedTo: "agent-1", updatedAt: now), userId: user, occurredAt: now)
            try await publish(Topics.supportTicketCreated, SupportTicketCreated(
                ticketId: ticket, ticketRef: "TKT-ABCD1234", userId: user, subject: "Door hinge", category: .product,
                priority: .medium, status: .open, createdAt: now.addingTimeInterval(-60)), userId: user, occurredAt: now.addingTimeInterval(-60))
            try await publish(Topics.loyaltyAccountUpdated, LoyaltyAccountUpdated(
                userId: user, points: 1050, lifetimePoints: 1250, tier: .silver, transactionId: UUID()), userId: user, occurredAt: now)
            try await publish(Topics.loyaltyAccountUpdated, LoyaltyAccountUpdated(
                userId: user, points: 500, lifetimePoints: 500, tier: .bronze, transactionId: UUID()), userId: user, occurredAt: now.addingTimeInterval(-30))
            let order = OrderPaymentSucceeded(
                orderId: "order-1", orderRef: "LW-1001", userId: user, totalAmount: Decimal(string: "1249.50")!,
                items: [.init(productId: "p1", quantity: 2, unitPrice: 500), .init(productId: "p2", quantity: 1, unitPrice: Decimal(string: "249.50")!)],
                paidAt: now)
            try await publish(Topics.orderPaymentSucceeded, order, userId: user)
            try await publish(Topics.orderPaymentSucceeded, order, userId: user)  // another event for the same order
            try await publish(Topics.appointmentBookingCreated, AppointmentBookingCreated(
                appointmentId: "appt-1", userId: user, appointmentType: .showroom, showroomId: "leeds",
                scheduledAt: now.addingTimeInterval(86_400), bookedAt: now), userId: user)
            try await publish(Topics.brochureRequestCreated, BrochureRequestCreated(
                requestId: "br-1", userId: user, brochureType: nil, requestedAt: now), userId: user)
            await publisher.shutdown()

            var dashboard: [String: Any] = [:]
            for _ in 0..<200 {
                dashboard = try await get(client, token, "/dashboard")["data"] as? [String: Any] ?? [:]
                let ready = (dashboard["recentOrders"] as? [Any])?.count == 1 && (dashboard["upcomingAppointments"] as? [Any])?.count == 1
                    && (dashboard["support"] as? [String: Int])?["open"] == 1 && (dashboard["loyaltyPoints"] as? [String: Any])?["current"] as? Int == 1050
                if ready { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(dashboard["profile"] is NSNull && dashboard["primaryAddress"] is NSNull)
            let loyalty = try #require(dashboard["loyaltyPoints"] as? [String: Any])
            #expect(loyalty["current"] as? Int == 1050 && loyalty["lifetime"] as? Int == 1250 && loyalty["tier"] as? String == "SILVER")
            #expect(loyalty["nextTier"] as? String == "GOLD" && loyalty["pointsToNextTier"] as? Int == 3750)
            #expect(dashboard["support"] as? [String: Int] == ["open": 1, "awaitingReply": 1])
            #expect(dashboard["unreadNotifications"] as? Int == 1)
            #expect(((dashboard["recentOrders"] as? [[String: Any]])?.first?["itemCount"] as? Int) == 3)

            let orders = try await get(client, token, "/portal/orders")
            let list = (orders["data"] as? [String: Any])?["orders"] as? [[String: Any]] ?? []
            #expect(list.count == 1 && list.first?["orderRef"] as? String == "LW-1001")
            #expect((list.first?["totalAmount"] as? NSNumber)?.doubleValue == 1249.5)
            #expect((orders["meta"] as? [String: Any])?["total"] as? Int == 1)
            let support = try await get(client, token, "/portal/support")["data"] as? [String: Any] ?? [:]
            #expect(support["open"] as? Int == 1 && support["total"] as? Int == 1 && support["resolved"] as? Int == 0)
            #expect(((support["recent"] as? [[String: Any]])?.first?["status"] as? String) == "WAITING_ON_CUSTOMER")
            let appointments = try await get(client, token, "/portal/appointments")["data"] as? [String: Any]
            #expect(((appointments?["appointments"] as? [[String: Any]])?.first?["showroomId"] as? String) == "leeds")
            let brochures = try await get(client, token, "/portal/brochure-requests")["data"] as? [String: Any]
            #expect(((brochures?["requests"] as? [[String: Any]])?.first?["brochureType"]) is NSNull)
            #expect((appointments?["appointments"] as? [Any])?.count == 1 && (brochures?["requests"] as? [Any])?.count == 1)
        }
    }
}
