import Contracts
import Foundation
import Hummingbird
import PostgresNIO
import TestSupport
import Testing

@testable import engagement
@testable import loyalty
@testable import profiles
@testable import support

/// CONTRACT §13 with all four contexts, through the gateway and the stack's broker: an export
/// gathers exactly the customer's data from every context, a large customer's too, and an
/// erasure scrubs every context once.
@Suite(.needsStack) struct PrivacyAcrossContextsTests {
    /// Requests an export as `user` and waits until it is READY; returns its id and the
    /// downloaded document.
    static func export(as user: String, timeout: Duration = .seconds(30)) async throws -> (id: UUID, document: Answer) {
        let requested = try await gateway.post("/privacy/exports", as: user)
        #expect(requested.status == .accepted)
        let id = try requested.data(PrivacyRequest.self).id
        #expect(
            try await eventually(timeout: timeout) {
                try await gateway.get("/privacy/exports/\(id.lowercasedString)", as: user).data(PrivacyRequest.self).status == .ready
            })
        let download = try await gateway.get("/privacy/exports/\(id.lowercasedString)/download", as: user)
        #expect(download.status == .ok)
        #expect(download.headers[.contentDisposition] == #"attachment; filename="lomash-wood-data-\#(id.lowercasedString).json""#)
        return (id, download)
    }

    /// How many events of `topic` about `user` a context wrote to its outbox.
    static func published(_ topic: String, by schema: String, about user: String, where condition: String = "true") async throws -> Int {
        try await withDatabase(schema: schema) { database in
            try await database.scalar(
                PostgresQuery(
                    unsafeSQL: "SELECT count(*)::int FROM outbox WHERE topic = $1 AND key = $2 AND \(condition)", binds: binds(topic, user)))
        }
    }

    static func binds(_ values: String...) -> PostgresBindings {
        var binds = PostgresBindings()
        for value in values { binds.append(value) }
        return binds
    }

    /// `user` pays order `LW-2001` (120.00, one `product`), as the orders service announces it.
    static func payOrder(of user: String, product: String) async throws {
        let publisher = try TestPublisher(brokers: TestEnvironment.kafkaBrokers)
        try await publisher.publish(
            Topics.orderPaymentSucceeded,
            OrderPaymentSucceeded(
                orderId: "order-\(user)", orderRef: "LW-2001", userId: user, totalAmount: 120,
                items: [.init(productId: product, quantity: 1, unitPrice: 120)], paidAt: Date()), userId: user, source: "orders")
        await publisher.shutdown()
    }

    @Test func anExportHasExactlyTheContractsKeysForTheCustomer() async throws {
        let user = TestEnvironment.uniqueUser()
        let (_, download) = try await Self.export(as: user)
        let document = try download.decode([String: JSONValue].self)
        #expect(
            Set(document.keys) == [
                "generatedAt", "userId", "profile", "addresses", "notificationPreferences", "wishlist", "reviews", "tickets", "loyalty",
                "referrals", "portal",
            ])
        #expect(document["userId"] == .string(user))
    }

    @Test func anExportHoldsTheCustomersProfileAddressesAndPreferences() async throws {
        let user = TestEnvironment.uniqueUser()
        #expect(
            try await gateway.post(
                "/profile", as: user, body: ["firstName": "Ada", "lastName": "Lovelace", "phone": "07700900123"]
            ).status == .created)
        for postcode in ["LS1 4AP", "EH1 1YZ"] {
            #expect(
                try await gateway.post(
                    "/addresses", as: user, body: ["line1": "1 Oak Lane", "city": "Leeds", "postcode": "\(postcode)", "country": "GB"]
                ).status == .created)
        }
        #expect(try await gateway.put("/notification-preferences", as: user, body: ["newsletter": true]).status == .ok)

        let document = try await Self.export(as: user).document.decode(ExportDocument.self)
        #expect(document.userId == user)
        #expect(document.profile?.firstName == "Ada" && document.profile?.phone == "07700900123")
        #expect(Set(document.addresses.map(\.postcode)) == ["LS1 4AP", "EH1 1YZ"])
        #expect(document.notificationPreferences?.newsletter == true)
    }

    @Test func anExportHoldsTheCustomersWishlistAndReviews() async throws {
        let user = TestEnvironment.uniqueUser()
        let table = "oak-table-\(user)"
        let bed = "pine-bed-\(user)"
        for (product, category) in [(table, "KITCHEN"), (bed, "BEDROOM")] {
            #expect(
                try await gateway.post(
                    "/wishlist/items", as: user, body: ["productId": "\(product)", "category": "\(category)"]
                ).status == .created)
        }
        let reviewId = try await gateway.post(
            "/reviews", as: user, body: ["productId": "\(table)", "rating": 5, "title": "Lovely", "body": "A lovely solid oak table."]
        ).data(Review.self).id
        #expect(
            try await gateway.patch(
                "/reviews/\(reviewId.lowercasedString)/status", as: "admin-1", role: .admin, body: ["status": "APPROVED"]
            ).status == .ok)

        let document = try await Self.export(as: user).document.decode(ExportDocument.self)
        #expect(document.wishlist?.itemCount == 2)
        #expect(Set(document.wishlist?.items.map(\.productId) ?? []) == [table, bed])
        #expect(document.reviews.count == 1 && document.reviews.first?.id == reviewId && document.reviews.first?.status == .approved)
    }

    /// The customer's tickets with the messages they can see: no internal note, and nothing of
    /// another customer's.
    @Test func anExportHoldsTheCustomersTicketsWithoutInternalNotesOrAnotherCustomersTicket() async throws {
        let user = TestEnvironment.uniqueUser()
        let other = TestEnvironment.uniqueUser()
        let ticketId = try await gateway.post(
            "/support/tickets", as: user, body: ["subject": "Hinge squeaks", "message": "The kitchen door hinge squeaks."]
        ).data(Ticket.self).id
        let ticket = ticketId.lowercasedString
        #expect(
            try await gateway.post(
                "/support/tickets/\(ticket)/messages", as: "agent-1", role: .agent,
                body: ["message": "Internal: customer is a VIP, check the stock.", "isInternal": true]
            ).status == .created)
        #expect(
            try await gateway.post(
                "/support/tickets/\(ticket)/messages", as: "agent-1", role: .agent, body: ["message": "Try a drop of oil."]
            ).status == .created)
        // Someone else's data, which must not appear.
        #expect(
            try await gateway.post(
                "/support/tickets", as: other, body: ["subject": "Other customer", "message": "Not Ada's ticket at all."]
            ).status == .created)

        let download = try await Self.export(as: user).document
        let document = try download.decode(ExportDocument.self)
        let tickets = document.tickets
        #expect(tickets.count == 1 && tickets.first?.id == ticketId && tickets.first?.subject == "Hinge squeaks")
        let messages = tickets.first?.messages ?? []
        #expect(messages.map(\.senderType) == [.customer, .agent])
        #expect(messages.map(\.message) == ["The kitchen door hinge squeaks.", "Try a drop of oil."])
        let text = download.text
        #expect(!text.contains("VIP") && !text.contains(other) && !text.contains("Other customer"))
    }

    /// The account, the whole ledger (an admin's points and a paid order's, newest first), the
    /// customer's referral code and the referral a friend made with it.
    @Test func anExportHoldsTheCustomersPointsReferralCodeAndReferrals() async throws {
        let user = TestEnvironment.uniqueUser()
        let friend = TestEnvironment.uniqueUser()
        #expect(
            try await gateway.post(
                "/loyalty/transactions", as: "admin-1", role: .admin, body: ["userId": "\(user)", "type": "EARN", "points": 500, "reason": "Welcome"]
            ).status == .created)
        let code = try await gateway.post("/referrals/generate", as: user).data(ReferralController.Generated.self).code
        #expect(try await gateway.post("/referrals/apply", as: friend, body: ["code": "\(code)"]).status == .created)
        try await Self.payOrder(of: user, product: "oak-table-\(user)")
        #expect(
            try await eventually(timeout: .seconds(10)) {
                try await gateway.get("/loyalty", as: user).data(Account.self).points == 620
            })

        let document = try await Self.export(as: user).document.decode(ExportDocument.self)
        #expect(document.loyalty.account?.points == 620)
        #expect(document.loyalty.transactions.map(\.points) == [120, 500])
        #expect(document.loyalty.referralCode?.code == code)
        let referrals = document.referrals
        #expect(referrals.count == 1 && referrals.first?.refereeId == friend && referrals.first?.status == .pending)
    }

    @Test func anExportHoldsTheCustomersPaidOrders() async throws {
        let user = TestEnvironment.uniqueUser()
        try await Self.payOrder(of: user, product: "oak-table-\(user)")
        #expect(
            try await eventually(timeout: .seconds(10)) {
                try await gateway.get("/portal/orders", as: user).data(PortalController.Orders.self).orders.count == 1
            })

        let document = try await Self.export(as: user).document.decode(ExportDocument.self)
        #expect(document.portal.orders.map(\.orderRef) == ["LW-2001"])
    }

    /// Once Kafka has them, no context keeps a copy of the parts in its outbox.
    @Test func noContextKeepsItsPartOfAnExportInItsOutbox() async throws {
        let user = TestEnvironment.uniqueUser()
        #expect(try await gateway.post("/profile", as: user, body: ["firstName": "Ada", "lastName": "Lovelace"]).status == .created)
        _ = try await Self.export(as: user)
        for schema in ["profiles", "engagement", "support", "loyalty"] {
            #expect(try await Self.published("customer.data_export.part", by: schema, about: user) == 0, "\(schema)")
        }
    }

    @Test func aCustomerWithTenThousandLedgerEntriesAndAHundredTicketsExportsCompletely() async throws {
        let user = TestEnvironment.uniqueUser()
        #expect(try await gateway.get("/loyalty", as: user).status == .ok)  // the account
        try await withDatabase(schema: "loyalty") { database in
            try await database.query(
                """
                INSERT INTO transactions (id, user_id, type, points, balance_after, reason, created_at)
                SELECT gen_random_uuid(), \(user), 'EARN', 1, 10001 - g, 'Bulk earn ' || g, now() - make_interval(secs => g)
                FROM generate_series(1, 10000) g
                """)
            try await database.query("UPDATE accounts SET points_balance = 10000, lifetime_points = 10000 WHERE user_id = \(user)")
        }
        let longText = String(repeating: "The drawer runners stick. ", count: 150)
        try await withDatabase(schema: "support") { database in
            try await database.query(
                """
                WITH t AS (
                    INSERT INTO tickets (id, ticket_ref, user_id, subject, created_at, updated_at)
                    SELECT gen_random_uuid(), 'TKT-' || upper(substr(md5(random()::text || g), 1, 8)), \(user), 'Ticket ' || g,
                           now() - make_interval(secs => g), now() - make_interval(secs => g)
                    FROM generate_series(1, 100) g
                    RETURNING id, created_at
                )
                INSERT INTO ticket_messages (id, ticket_id, sender_type, sender_id, message, created_at)
                SELECT gen_random_uuid(), id, 'CUSTOMER', \(user), \(longText), created_at FROM t
                """)
        }

        let (exportId, download) = try await Self.export(as: user, timeout: .seconds(60))
        let document = try download.decode(ExportDocument.self)
        let transactions = document.loyalty.transactions
        #expect(transactions.count == 10_000)
        #expect(transactions.first?.reason == "Bulk earn 1" && transactions.last?.reason == "Bulk earn 10000")
        #expect(Set(transactions.map(\.id)).count == 10_000)
        let tickets = document.tickets
        #expect(tickets.count == 100 && tickets.allSatisfy { $0.messages.first?.message == longText })
        // It travelled in several chunks per large part, each well under Kafka's 1 MB limit.
        let (loyaltyChunks, supportChunks, largest) = try await withDatabase(schema: "profiles") { database in
            let loyalty = try await database.scalar(
                "SELECT max(chunks)::int FROM privacy_export_parts WHERE export_id = \(exportId) AND context = 'loyalty'")
            let support = try await database.scalar(
                "SELECT max(chunks)::int FROM privacy_export_parts WHERE export_id = \(exportId) AND context = 'support'")
            let largest = try await database.scalar(
                "SELECT max(octet_length(part))::int FROM privacy_export_parts WHERE export_id = \(exportId)")
            return (loyalty, support, largest)
        }
        #expect(loyaltyChunks > 1 && supportChunks > 1 && largest < 300_000, "\(loyaltyChunks) \(supportChunks) \(largest)")
    }

    /// Grace, with something to erase in every context: a profile and an address, a wishlist
    /// item, an approved review, a ticket with her phone number, points and a referral code;
    /// her name has reached engagement's reviews and loyalty's referral validation.
    struct Grace {
        let user: String
        let table: String
        let ticketId: String
        let code: String
    }

    static func grace() async throws -> Grace {
        let user = TestEnvironment.uniqueUser()
        let table = "oak-table-\(user)"
        #expect(try await gateway.post("/profile", as: user, body: ["firstName": "Grace", "lastName": "Hopper"]).status == .created)
        #expect(
            try await gateway.post(
                "/addresses", as: user, body: ["line1": "1 Oak Lane", "city": "Leeds", "postcode": "LS1 4AP", "country": "GB"]
            ).status == .created)
        #expect(try await gateway.post("/wishlist/items", as: user, body: ["productId": "\(table)", "category": "KITCHEN"]).status == .created)
        let reviewId = try await gateway.post(
            "/reviews", as: user, body: ["productId": "\(table)", "rating": 4, "title": "Solid", "body": "Solid and well made, Grace."]
        ).data(Review.self).id.lowercasedString
        #expect(
            try await gateway.patch(
                "/reviews/\(reviewId)/status", as: "admin-1", role: .admin, body: ["status": "APPROVED"]
            ).status == .ok)
        let ticketId = try await gateway.post(
            "/support/tickets", as: user, body: ["subject": "Call me on 07700 900123", "message": "My number is 07700 900123."]
        ).data(Ticket.self).id.lowercasedString
        #expect(
            try await gateway.post(
                "/loyalty/transactions", as: "admin-1", role: .admin, body: ["userId": "\(user)", "type": "EARN", "points": 50, "reason": "Welcome"]
            ).status == .created)
        let code = try await gateway.post("/referrals/generate", as: user).data(ReferralController.Generated.self).code
        #expect(
            try await eventually(timeout: .seconds(10)) {
                let reviewer = try await Self.reviewerName(of: table)
                let referrer = try await Self.referrerName(of: code)
                return reviewer == "Grace H." && referrer == "Grace H."
            })
        return Grace(user: user, table: table, ticketId: ticketId, code: code)
    }

    /// The reviewer's name on the public page of `product`'s reviews.
    static func reviewerName(of product: String) async throws -> String? {
        try await gateway.get("/reviews/product/\(product)", as: nil).data(ProductReviews.self).reviews.first?.reviewerName
    }

    /// The referrer's name a public validation of `code` shows.
    static func referrerName(of code: String) async throws -> String? {
        try await gateway.get("/referrals/validate/\(code)", as: nil).data(ReferralStore.Validation.self).referrerName
    }

    @Test func anErasureScrubsEveryContext() async throws {
        let grace = try await Self.grace()
        let user = grace.user
        let erased = try await gateway.post("/privacy/erasure", as: user)
        let accepted = try erased.data([String: JSONValue].self)  // `ErasureAccepted.status` is a constant: read the JSON
        #expect(erased.status == .accepted && accepted["status"] == "ACCEPTED")
        #expect(try await gateway.get("/profile", as: user).status == .notFound)
        #expect(
            try await eventually(timeout: .seconds(30)) {
                let ticket = try await gateway.get("/support/tickets/\(grace.ticketId)", as: "agent-1", role: .agent).data(Ticket.self)
                let items = try await gateway.get("/wishlist", as: user).data(Wishlist.self).items
                let reviewer = try await Self.reviewerName(of: grace.table)
                // CONTRACT §13: the erased customer's referral code stops working.
                let validation = try await gateway.get("/referrals/validate/\(grace.code)", as: nil)
                return ticket.status == .closed && ticket.subject == "[removed]" && items.isEmpty
                    && reviewer == "Customer" && validation.status == .notFound
            })
        let ticket = try await gateway.get("/support/tickets/\(grace.ticketId)", as: "agent-1", role: .agent).data(Ticket.self)
        let messages = ticket.messages ?? []
        #expect(messages.map(\.senderType) == [.customer, .system])
        #expect(messages.first?.message == "[removed]")
        #expect(messages.last?.message == "This ticket was closed because the customer asked for their data to be erased.")
    }

    /// A customer with a profile and a ticket, erased: their ticket is closed and redacted.
    static func erasedCustomerWithATicket() async throws -> (user: String, ticketId: String) {
        let user = TestEnvironment.uniqueUser()
        #expect(try await gateway.post("/profile", as: user, body: ["firstName": "Grace", "lastName": "Hopper"]).status == .created)
        let ticketId = try await gateway.post(
            "/support/tickets", as: user, body: ["subject": "Call me on 07700 900123", "message": "My number is 07700 900123."]
        ).data(Ticket.self).id.lowercasedString
        #expect(try await gateway.post("/privacy/erasure", as: user).status == .accepted)
        #expect(
            try await eventually(timeout: .seconds(30)) {
                let ticket = try await gateway.get("/support/tickets/\(ticketId)", as: "agent-1", role: .agent).data(Ticket.self)
                return ticket.status == .closed && ticket.subject == "[removed]"
            })
        return (user, ticketId)
    }

    /// Each event once; a repeat changes nothing more.
    @Test func anErasurePublishesEachEventOnceAndARepeatNothingMore() async throws {
        let (user, _) = try await Self.erasedCustomerWithATicket()
        @Sendable func counts() async throws -> [Int] {
            [
                try await Self.published("customer.erasure.requested", by: "profiles", about: user),
                try await Self.published("customer.profile.anonymized", by: "profiles", about: user),
                // Closed, and redacted: two changes of the ticket, in whichever order the events came.
                try await Self.published("customer.support_ticket.updated", by: "support", about: user),
            ]
        }
        #expect(try await counts() == [1, 1, 2])
        #expect(try await gateway.post("/privacy/erasure", as: user).status == .accepted)
        try await Task.sleep(for: .seconds(1))
        #expect(try await counts() == [1, 1, 2])
    }

    /// The token still works after an erasure: the customer reads their (redacted) ticket, and a
    /// new profile starts afresh.
    @Test func anErasedCustomerStillReadsTheirTicketAndCanStartAFreshProfile() async throws {
        let (user, ticketId) = try await Self.erasedCustomerWithATicket()
        #expect(try await gateway.get("/support/tickets/\(ticketId)", as: user).status == .ok)
        let fresh = try await gateway.post("/profile", as: user, body: ["firstName": "G", "lastName": "H"])
        #expect(fresh.status == .created)
    }
}
