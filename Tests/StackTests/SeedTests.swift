import Foundation
import HTTPTypes
import TestSupport
import Testing

/// `scripts/stack seed` (scripts/lib/seed.py): demo data through the gateway and the broker
/// only. Run twice against the test stack: the first run leaves the demo customers as stated
/// below, the second changes nothing, and the customer token it prints works. Only the demo ids
/// (demo-customer-1 … 5, demo-agent, demo-admin, the demo-* products) are used, which no other
/// test touches.
@Suite(.needsStack) struct SeedTests {
    /// What one demo customer has, read through the gateway as that customer.
    struct Customer: Equatable, Sendable {
        var addresses: Int
        var wishlistItems: Int
        var reviews: Int
        /// The statuses of their tickets, sorted.
        var tickets: [String]
        var lifetimePoints: Int
        var tier: String
        var orders: Int
        var appointments: Int
        var brochureRequests: Int
    }

    /// Everything the test counts.
    struct Demo: Equatable, Sendable {
        /// demo-customer-1 … demo-customer-5.
        var customers: [Customer]
        /// demo-customer-1's referrals, as "referee status".
        var referrals: [String]
        /// The approved reviews of each demo product (`products`), from its public page.
        var approvedReviews: [Int]
        /// The internal notes on the demo customers' tickets, as an agent sees them.
        var internalNotes: Int
    }

    static let users = (1...5).map { "demo-customer-\($0)" }
    static let products = ["demo-oak-dining-table", "demo-walnut-sideboard", "demo-ash-bookcase"]

    /// Tickets in every status; lifetime points of the admin's EARN entries, 1 point per pound of
    /// the orders and the referral's rewards (250 to demo-customer-1, 100 to demo-customer-5):
    /// every tier.
    static let expected = Demo(
        customers: [
            Customer(
                addresses: 2, wishlistItems: 3, reviews: 1, tickets: ["OPEN", "RESOLVED"], lifetimePoints: 16_500, tier: "PLATINUM",
                orders: 2, appointments: 1, brochureRequests: 1),
            Customer(
                addresses: 1, wishlistItems: 2, reviews: 2, tickets: ["IN_PROGRESS"], lifetimePoints: 5980, tier: "GOLD",
                orders: 1, appointments: 1, brochureRequests: 0),
            Customer(
                addresses: 2, wishlistItems: 2, reviews: 1, tickets: ["WAITING_ON_CUSTOMER"], lifetimePoints: 1620, tier: "SILVER",
                orders: 1, appointments: 0, brochureRequests: 1),
            Customer(
                addresses: 1, wishlistItems: 3, reviews: 1, tickets: ["CLOSED"], lifetimePoints: 500, tier: "BRONZE",
                orders: 0, appointments: 1, brochureRequests: 1),
            Customer(
                addresses: 1, wishlistItems: 2, reviews: 1, tickets: [], lifetimePoints: 1250, tier: "SILVER",
                orders: 1, appointments: 0, brochureRequests: 0),
        ],
        referrals: ["demo-customer-5 COMPLETED"],
        approvedReviews: [2, 1, 1],
        internalNotes: 2)

    @Test func seedingTwiceLeavesTheStatedDemoDataAndPrintsATokenThatWorks() async throws {
        let first = try await Self.seed()
        #expect(first.status == 0, "\(first.stderr)")
        let seeded = try await Self.demo()
        #expect(seeded == Self.expected)

        let second = try await Self.seed()
        #expect(second.status == 0, "\(second.stderr)")
        #expect(try await Self.demo() == seeded)

        let token = try #require(Self.token(of: "customer", in: second.stdout), "no customer token in: \(second.stdout)")
        let profile = try await gateway.get("/profile", as: nil, headers: [.authorization: "Bearer \(token)"])
        #expect(profile.status == .ok, "\(profile)")
        #expect(Self.token(of: "agent", in: second.stdout) != nil, "\(second.stdout)")
        #expect(Self.token(of: "admin", in: second.stdout) != nil, "\(second.stdout)")
    }

    /// `python3 scripts/lib/seed.py` against the test stack, with the test's secret.
    static func seed() async throws -> (status: Int32, stdout: String, stderr: String) {
        try await runCapturingOutput(
            "/usr/bin/env",
            [
                "python3", repositoryRoot + "/scripts/lib/seed.py", "--gateway", TestEnvironment.gatewayURL,
                "--brokers", TestEnvironment.kafkaBrokers, "--lw-dev", TestEnvironment.binDirectory + "/lw-dev",
            ],
            environment: ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "JWT_SECRET": TestEnvironment.jwtSecret])
    }

    /// The token on a line such as `customer  demo-customer-1  <token>` of the seed's output.
    static func token(of role: String, in output: String) -> String? {
        for line in output.split(separator: "\n") {
            let words = line.split(separator: " ")
            if words.count == 3, words[0] == role { return String(words[2]) }
        }
        return nil
    }

    static func demo() async throws -> Demo {
        var customers: [Customer] = []
        var internalNotes = 0
        for user in users {
            customers.append(try await customer(user))
            internalNotes += try await internalNoteCount(user)
        }
        let referrals = try await gateway.get("/referrals?limit=100", as: users[0]).data(Referrals.self).referrals
        var approved: [Int] = []
        for product in products {
            approved.append(try await gateway.get("/reviews/product/\(product)", as: nil).data(ProductReviews.self).summary.totalReviews)
        }
        return Demo(
            customers: customers, referrals: referrals.map { "\($0.refereeId) \($0.status)" }, approvedReviews: approved,
            internalNotes: internalNotes)
    }

    static func customer(_ user: String) async throws -> Customer {
        let addresses = try await gateway.get("/addresses", as: user).data([Identified].self)
        let wishlist = try await gateway.get("/wishlist?limit=1", as: user).data(Wishlist.self)
        let reviews = try await gateway.get("/reviews?limit=100", as: user).data([Identified].self)
        let tickets = try await gateway.get("/support/tickets?limit=100", as: user).data(Tickets.self).tickets
        let account = try await gateway.get("/loyalty", as: user).data(Account.self)
        let orders = try await gateway.get("/portal/orders?limit=100", as: user).data(Orders.self).orders
        let appointments = try await gateway.get("/portal/appointments?limit=100", as: user).data(Appointments.self).appointments
        let brochures = try await gateway.get("/portal/brochure-requests?limit=100", as: user).data(BrochureRequests.self).requests
        return Customer(
            addresses: addresses.count, wishlistItems: wishlist.itemCount, reviews: reviews.count, tickets: tickets.map(\.status).sorted(),
            lifetimePoints: account.lifetimePoints, tier: account.tier, orders: orders.count, appointments: appointments.count,
            brochureRequests: brochures.count)
    }

    static func internalNoteCount(_ user: String) async throws -> Int {
        var notes = 0
        for ticket in try await gateway.get("/support/tickets?limit=100", as: user).data(Tickets.self).tickets {
            let detail = try await gateway.get("/support/tickets/\(ticket.id)", as: "demo-agent", role: .agent).data(TicketDetail.self)
            notes += detail.messages.filter(\.isInternal).count
        }
        return notes
    }

    // The parts of the contract's answers the test reads.
    struct Identified: Decodable {
        let id: String
    }

    struct Wishlist: Decodable {
        let itemCount: Int
    }

    struct Tickets: Decodable {
        let tickets: [Ticket]
    }

    struct Ticket: Decodable {
        let id: String
        let status: String
    }

    struct TicketDetail: Decodable {
        let messages: [Message]
    }

    struct Message: Decodable {
        let isInternal: Bool
    }

    struct Account: Decodable {
        let lifetimePoints: Int
        let tier: String
    }

    struct Referrals: Decodable {
        let referrals: [Referral]
    }

    struct Referral: Decodable {
        let refereeId: String
        let status: String
    }

    struct Orders: Decodable {
        let orders: [Order]
    }

    struct Order: Decodable {
        let orderId: String
    }

    struct Appointments: Decodable {
        let appointments: [Appointment]
    }

    struct Appointment: Decodable {
        let appointmentId: String
    }

    struct BrochureRequests: Decodable {
        let requests: [BrochureRequest]
    }

    struct BrochureRequest: Decodable {
        let requestId: String
    }

    struct ProductReviews: Decodable {
        struct Summary: Decodable {
            let totalReviews: Int
        }

        let summary: Summary
    }
}
