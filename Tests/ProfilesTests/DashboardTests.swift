import Contracts
import Foundation
import Hummingbird
import TestSupport
import Testing

@testable import profiles

/// `GET /onboarding-status` as the contract shows it (production's `Onboarding` only encodes).
struct OnboardingStatus: Decodable {
    struct Step: Decodable {
        let key: String
        let label: String
        let done: Bool
    }

    let hasProfile: Bool
    let hasAddress: Bool
    let hasNotificationPreferences: Bool
    let hasWishlistItem: Bool
    let completedSteps: Int
    let totalSteps: Int
    let percentComplete: Int
    let steps: [Step]

    /// Whether the step with this key is done (nil when there is no such step).
    func done(_ key: String) -> Bool? { steps.first { $0.key == key }?.done }
}

/// `GET /portal/support` as the contract shows it (production's `PortalSupport` only encodes).
struct PortalSupportSummary: Decodable {
    let open: Int
    let resolved: Int
    let closed: Int
    let total: Int
    let recent: [PortalSupport.Ticket]
}

@Suite(.needsTestServers) struct DashboardTests {
    func onboarding(_ api: API, _ user: String) async throws -> OnboardingStatus {
        try await api.get("/onboarding-status", as: user).data(OnboardingStatus.self)
    }

    func createProfile(_ api: API, _ user: String) async throws {
        #expect(try await api.post("/profile", as: user, body: ["firstName": "A", "lastName": "B"]).status == .created)
    }

    func addAddress(_ api: API, _ user: String) async throws {
        #expect(try await api.post("/addresses", as: user, body: ["line1": "1", "city": "C", "postcode": "M1 1AE"]).status == .created)
    }

    func savePreferences(_ api: API, _ user: String) async throws {
        #expect(try await api.put("/notification-preferences", as: user, body: [:]).status == .ok)
    }

    @Test func aNewCustomerHasCompletedNoStep() async throws {
        try await withTestService(ProfilesService.self) { (api, _) async throws in
            #expect(try await onboarding(api, TestEnvironment.uniqueUser()).completedSteps == 0)
        }
    }

    @Test func aProfileCompletesItsStep() async throws {
        try await withTestService(ProfilesService.self) { api, _ in
            let user = TestEnvironment.uniqueUser()
            try await createProfile(api, user)
            #expect(try await onboarding(api, user).completedSteps == 1)
        }
    }

    @Test func anAddressCompletesItsStepAndReadingThePreferencesDoesNot() async throws {
        try await withTestService(ProfilesService.self) { api, _ in
            let user = TestEnvironment.uniqueUser()
            try await createProfile(api, user)
            try await addAddress(api, user)
            _ = try await api.get("/notification-preferences", as: user).data(Preferences.self)
            let status = try await onboarding(api, user)
            #expect(status.completedSteps == 2 && status.percentComplete == 50)
            #expect(status.done("notificationPreferences") == false && status.done("address") == true)
        }
    }

    @Test func savingThePreferencesCompletesTheirStep() async throws {
        try await withTestService(ProfilesService.self) { api, _ in
            let user = TestEnvironment.uniqueUser()
            try await createProfile(api, user)
            try await addAddress(api, user)
            try await savePreferences(api, user)
            #expect(try await onboarding(api, user).completedSteps == 3)
        }
    }

    /// The wishlist step follows engagement's event (published twice: a redelivery).
    @Test func aWishlistItemCompletesTheLastStepAndLeavesNoQuickAction() async throws {
        try await withTestServiceAndBroker(ProfilesService.self) { api, _, brokers in
            let user = TestEnvironment.uniqueUser()
            try await createProfile(api, user)
            try await addAddress(api, user)
            try await savePreferences(api, user)
            let publisher = try TestPublisher(brokers: brokers)
            try await publisher.publish(
                Topics.wishlistUpdated, WishlistUpdated(userId: user, action: .added, productId: "p1", itemCount: 1), userId: user, times: 2)
            await publisher.shutdown()
            _ = try await eventually(timeout: .seconds(10)) { try await onboarding(api, user).completedSteps == 4 }
            let done = try await onboarding(api, user)
            #expect(done.completedSteps == 4 && done.percentComplete == 100)
            #expect(try await api.get("/dashboard", as: user).data(Dashboard.self).quickActions.isEmpty)
        }
    }

    /// Publishes what the other contexts would about `user`, each event twice (a redelivery:
    /// its effect must happen once) and some out of order, then waits until the dashboard
    /// shows them all.
    func publishOtherContextsEvents(about user: String, brokers: String, api: API) async throws {
        let publisher = try TestPublisher(brokers: brokers)
        func publish<P>(_ topic: Topic<P>, _ payload: P, occurredAt: Date = Date()) async throws {
            try await publisher.publish(topic, payload, userId: user, occurredAt: occurredAt, times: 2)
        }
        let now = Date()
        let ticket = UUID()
        // The newer ticket state is published before the older one: the newer must win.
        try await publish(
            Topics.supportTicketUpdated,
            SupportTicketUpdated(
                ticketId: ticket, ticketRef: "TKT-ABCD1234", userId: user, subject: "Door hinge", status: .waitingOnCustomer,
                priority: .high, assignedTo: "agent-1", updatedAt: now), occurredAt: now)
        try await publish(
            Topics.supportTicketCreated,
            SupportTicketCreated(
                ticketId: ticket, ticketRef: "TKT-ABCD1234", userId: user, subject: "Door hinge", category: .product,
                priority: .medium, status: .open, createdAt: now.addingTimeInterval(-60)), occurredAt: now.addingTimeInterval(-60))
        try await publish(
            Topics.loyaltyAccountUpdated,
            LoyaltyAccountUpdated(
                userId: user, points: 1050, lifetimePoints: 1250, tier: .silver, transactionId: UUID()), occurredAt: now)
        try await publish(
            Topics.loyaltyAccountUpdated,
            LoyaltyAccountUpdated(
                userId: user, points: 500, lifetimePoints: 500, tier: .bronze, transactionId: UUID()), occurredAt: now.addingTimeInterval(-30))
        let order = OrderPaymentSucceeded(
            orderId: "order-1", orderRef: "LW-1001", userId: user, totalAmount: Decimal(string: "1249.50")!,
            items: [.init(productId: "p1", quantity: 2, unitPrice: 500), .init(productId: "p2", quantity: 1, unitPrice: Decimal(string: "249.50")!)],
            paidAt: now)
        try await publish(Topics.orderPaymentSucceeded, order)
        try await publish(Topics.orderPaymentSucceeded, order)  // another event for the same order
        try await publish(
            Topics.appointmentBookingCreated,
            AppointmentBookingCreated(
                appointmentId: "appt-1", userId: user, appointmentType: .showroom, showroomId: "leeds",
                scheduledAt: now.addingTimeInterval(86_400), bookedAt: now))
        try await publish(
            Topics.brochureRequestCreated,
            BrochureRequestCreated(
                requestId: "br-1", userId: user, brochureType: nil, requestedAt: now))
        await publisher.shutdown()

        _ = try await eventually(timeout: .seconds(10)) {
            let dashboard = try await api.get("/dashboard", as: user).data(Dashboard.self)
            return dashboard.recentOrders.count == 1 && dashboard.upcomingAppointments.count == 1 && dashboard.support.open == 1
                && dashboard.loyaltyPoints.current == 1050
        }
    }

    @Test func theDashboardShowsTheNewestStateOfOtherContextsEvents() async throws {
        try await withTestServiceAndBroker(ProfilesService.self) { api, _, brokers in
            let user = TestEnvironment.uniqueUser()
            try await publishOtherContextsEvents(about: user, brokers: brokers, api: api)
            let dashboard = try await api.get("/dashboard", as: user).data(Dashboard.self)
            #expect(dashboard.profile == nil && dashboard.primaryAddress == nil)
            let loyalty = dashboard.loyaltyPoints
            #expect(loyalty.current == 1050 && loyalty.lifetime == 1250 && loyalty.tier == .silver)
            #expect(loyalty.nextTier == .gold && loyalty.pointsToNextTier == 3750)
            #expect(dashboard.support.open == 1 && dashboard.support.awaitingReply == 1)
            #expect(dashboard.unreadNotifications == 1)
            #expect(dashboard.recentOrders.first?.itemCount == 3)
        }
    }

    @Test func thePortalListsAnOrderOnceWhateverItsEvents() async throws {
        try await withTestServiceAndBroker(ProfilesService.self) { api, _, brokers in
            let user = TestEnvironment.uniqueUser()
            try await publishOtherContextsEvents(about: user, brokers: brokers, api: api)
            let answer = try await api.get("/portal/orders", as: user)
            let orders = try answer.data(PortalController.Orders.self).orders
            #expect(orders.count == 1 && orders.first?.orderRef == "LW-1001")
            #expect(orders.first?.totalAmount == Decimal(string: "1249.5"))
            #expect(try answer.meta().total == 1)
        }
    }

    @Test func thePortalsSupportSummaryShowsTheNewestTicketState() async throws {
        try await withTestServiceAndBroker(ProfilesService.self) { api, _, brokers in
            let user = TestEnvironment.uniqueUser()
            try await publishOtherContextsEvents(about: user, brokers: brokers, api: api)
            let support = try await api.get("/portal/support", as: user).data(PortalSupportSummary.self)
            #expect(support.open == 1 && support.total == 1 && support.resolved == 0)
            #expect(support.recent.first?.status == .waitingOnCustomer)
        }
    }

    @Test func thePortalListsAppointmentsAndBrochureRequests() async throws {
        try await withTestServiceAndBroker(ProfilesService.self) { api, _, brokers in
            let user = TestEnvironment.uniqueUser()
            try await publishOtherContextsEvents(about: user, brokers: brokers, api: api)
            let appointments = try await api.get("/portal/appointments", as: user).data(PortalController.Appointments.self).appointments
            let requests = try await api.get("/portal/brochure-requests", as: user).data(PortalController.Requests.self).requests
            #expect(appointments.first?.showroomId == "leeds")
            #expect(requests.first != nil && requests.first?.brochureType == nil)
            #expect(appointments.count == 1 && requests.count == 1)
        }
    }
}
