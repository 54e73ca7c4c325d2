import Contracts
import Foundation
import NIOHTTP1
import PostgresNIO
import Testing
import TestSupport

/// CONTRACT §13 with all four contexts, through the gateway and the stack's broker: an export
/// gathers exactly the customer's data from every context, a large customer's too, and an
/// erasure scrubs every context once.
@Suite struct PrivacyAcrossContextsTests {
    /// Requests an export as `user` and waits until it is READY; returns its id and the
    /// downloaded document's text.
    static func export(as user: String, timeout: Duration = .seconds(30)) async throws -> (id: String, document: String) {
        let requested = try await send(.POST, "/privacy/exports", as: user)
        #expect(requested.status == 202)
        let id = try #require(try data(requested)["id"] as? String)
        #expect(try await eventually(timeout: timeout) {
            try data(await send(.GET, "/privacy/exports/\(id)", as: user))["status"] as? String == "READY"
        })
        let token = try await TestEnvironment.token(user)
        let download = try await Gateway.send(.GET, "/v1/customers/privacy/exports/\(id)/download", headers: ["Authorization": "Bearer \(token)"])
        #expect(download.status == 200)
        #expect(download.headers.first(name: "Content-Disposition") == #"attachment; filename="lomash-wood-data-\#(id).json""#)
        return (id, download.body)
    }

    static func object(_ text: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] ?? [:]
    }

    /// How many events of `topic` about `user` a context wrote to its outbox.
    static func published(_ topic: String, by schema: String, about user: String, where condition: String = "true") async throws -> Int {
        try await withDatabase(schema: schema) { database in
            try await database.scalar(PostgresQuery(
                unsafeSQL: "SELECT count(*)::int FROM outbox WHERE topic = $1 AND key = $2 AND \(condition)", binds: binds(topic, user)))
        }
    }

    static func binds(_ values: String...) -> PostgresBindings {
        var binds = PostgresBindings()
        for value in values { binds.append(value) }
        return binds
    }

    @Test func anExportHoldsExactlyTheCustomersDataFromEveryContext() async throws {
        let user = TestEnvironment.uniqueUser(), friend = TestEnvironment.uniqueUser(), other = TestEnvironment.uniqueUser()
        let table = "oak-table-\(user)", bed = "pine-bed-\(user)"
        #expect(try await send(.POST, "/profile", as: user, json: #"{"firstName":"Ada","lastName":"Lovelace","phone":"07700900123"}"#).status == 201)
        for postcode in ["LS1 4AP", "EH1 1YZ"] {
            #expect(try await send(.POST, "/addresses", as: user, json: #"{"line1":"1 Oak Lane","city":"Leeds","postcode":"\#(postcode)","country":"GB"}"#).status == 201)
        }
        #expect(try await send(.PUT, "/notification-preferences", as: user, json: #"{"newsletter":true}"#).status == 200)
        for (product, category) in [(table, "KITCHEN"), (bed, "BEDROOM")] {
            #expect(try await send(.POST, "/wishlist/items", as: user, json: #"{"productId":"\#(product)","category":"\#(category)"}"#).status == 201)
        }
        let review = try data(await send(.POST, "/reviews", as: user, json: #"{"productId":"\#(table)","rating":5,"title":"Lovely","body":"A lovely solid oak table."}"#))
        let reviewId = try #require(review["id"] as? String)
        #expect(try await send(.PATCH, "/reviews/\(reviewId)/status", as: "admin-1", role: .admin, json: #"{"status":"APPROVED"}"#).status == 200)
        let ticket = try data(await send(.POST, "/support/tickets", as: user, json: #"{"subject":"Hinge squeaks","message":"The kitchen door hinge squeaks."}"#))
        let ticketId = try #require(ticket["id"] as? String)
        #expect(try await send(.POST, "/support/tickets/\(ticketId)/messages", as: "agent-1", role: .agent,
                               json: #"{"message":"Internal: customer is a VIP, check the stock.","isInternal":true}"#).status == 201)
        #expect(try await send(.POST, "/support/tickets/\(ticketId)/messages", as: "agent-1", role: .agent, json: #"{"message":"Try a drop of oil."}"#).status == 201)
        #expect(try await send(.POST, "/loyalty/transactions", as: "admin-1", role: .admin,
                               json: #"{"userId":"\#(user)","type":"EARN","points":500,"reason":"Welcome"}"#).status == 201)
        let code = try #require(try data(await send(.POST, "/referrals/generate", as: user))["code"] as? String)
        #expect(try await send(.POST, "/referrals/apply", as: friend, json: #"{"code":"\#(code)"}"#).status == 201)
        let publisher = try TestPublisher(brokers: TestEnvironment.kafkaBrokers)
        try await publisher.publish(Topics.orderPaymentSucceeded, OrderPaymentSucceeded(
            orderId: "order-\(user)", orderRef: "LW-2001", userId: user, totalAmount: 120,
            items: [.init(productId: table, quantity: 1, unitPrice: 120)], paidAt: Date()), userId: user, source: "orders")
        await publisher.shutdown()
        // Someone else's data, which must not appear.
        #expect(try await send(.POST, "/support/tickets", as: other, json: #"{"subject":"Other customer","message":"Not Ada's ticket at all."}"#).status == 201)
        #expect(try await eventually(timeout: .seconds(10)) {
            let orders = try data(await send(.GET, "/portal/orders", as: user))["orders"] as? [[String: Any]] ?? []
            let points = try data(await send(.GET, "/loyalty", as: user))["points"] as? Int
            return orders.count == 1 && points == 620
        })

        let (_, text) = try await Self.export(as: user)
        let document = try Self.object(text)
        #expect(Set(document.keys) == [
            "generatedAt", "userId", "profile", "addresses", "notificationPreferences", "wishlist", "reviews", "tickets", "loyalty",
            "referrals", "portal",
        ])
        #expect(document["userId"] as? String == user)
        let profile = document["profile"] as? [String: Any]
        #expect(profile?["firstName"] as? String == "Ada" && profile?["phone"] as? String == "07700900123")
        #expect(Set((document["addresses"] as? [[String: Any]] ?? []).compactMap { $0["postcode"] as? String }) == ["LS1 4AP", "EH1 1YZ"])
        #expect((document["notificationPreferences"] as? [String: Any])?["newsletter"] as? Bool == true)
        let wishlist = document["wishlist"] as? [String: Any]
        #expect(wishlist?["itemCount"] as? Int == 2)
        #expect(Set((wishlist?["items"] as? [[String: Any]] ?? []).compactMap { $0["productId"] as? String }) == [table, bed])
        let reviews = document["reviews"] as? [[String: Any]] ?? []
        #expect(reviews.count == 1 && reviews.first?["id"] as? String == reviewId && reviews.first?["status"] as? String == "APPROVED")
        let tickets = document["tickets"] as? [[String: Any]] ?? []
        #expect(tickets.count == 1 && tickets.first?["id"] as? String == ticketId && tickets.first?["subject"] as? String == "Hinge squeaks")
        let messages = tickets.first?["messages"] as? [[String: Any]] ?? []
        #expect(messages.map { $0["senderType"] as? String } == ["CUSTOMER", "AGENT"])
        #expect(messages.map { $0["message"] as? String } == ["The kitchen door hinge squeaks.", "Try a drop of oil."])
        #expect(!text.contains("VIP") && !text.contains(other) && !text.contains("Other customer"))
        let loyalty = document["loyalty"] as? [String: Any]
        #expect((loyalty?["account"] as? [String: Any])?["points"] as? Int == 620)
        #expect((loyalty?["transactions"] as? [[String: Any]] ?? []).map { $0["points"] as? Int } == [120, 500])
        #expect((loyalty?["referralCode"] as? [String: Any])?["code"] as? String == code)
        let referrals = document["referrals"] as? [[String: Any]] ?? []
        #expect(referrals.count == 1 && referrals.first?["refereeId"] as? String == friend && referrals.first?["status"] as? String == "PENDING")
        let portal = document["portal"] as? [String: Any]
        #expect((portal?["orders"] as? [[String: Any]])?.map { $0["orderRef"] as? String } == ["LW-2001"])

        // Once Kafka has them, no context keeps a copy of the parts in its outbox.
        for schema in ["profiles", "engagement", "support", "loyalty"] {
            #expect(try await Self.published("customer.data_export.part", by: schema, about: user) == 0, "\(schema)")
        }
    }

    @Test func aCustomerWithTenThousandLedgerEntriesAndAHundredTicketsExportsCompletely() async throws {
        let user = TestEnvironment.uniqueUser()
        #expect(try await send(.GET, "/loyalty", as: user).status == 200)  // the account
        try await withDatabase(schema: "loyalty") { database in
            try await database.query("""
                INSERT INTO transactions (id, user_id, type, points, balance_after, reason, created_at)
                SELECT gen_random_uuid(), \(user), 'EARN', 1, 10001 - g, 'Bulk earn ' || g, now() - make_interval(secs => g)
                FROM generate_series(1, 10000) g
                """)
            try await database.query("UPDATE accounts SET points_balance = 10000, lifetime_points = 10000 WHERE user_id = \(user)")
        }
        let longText = String(repeating: "The drawer runners stick. ", count: 150)
        try await withDatabase(schema: "support") { database in
            try await database.query("""
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

        let (id, text) = try await Self.export(as: user, timeout: .seconds(60))
        let document = try Self.object(text)
        let transactions = (document["loyalty"] as? [String: Any])?["transactions"] as? [[String: Any]] ?? []
        #expect(transactions.count == 10_000)
        #expect(transactions.first?["reason"] as? String == "Bulk earn 1" && transactions.last?["reason"] as? String == "Bulk earn 10000")
        #expect(Set(transactions.compactMap { $0["id"] as? String }).count == 10_000)
        let tickets = document["tickets"] as? [[String: Any]] ?? []
        #expect(tickets.count == 100 && tickets.allSatisfy { ($0["messages"] as? [[String: Any]])?.first?["message"] as? String == longText })
        // It travelled in several chunks per large part, each well under Kafka's 1 MB limit.
        let exportId = UUID(uuidString: id)!
        let (loyaltyChunks, supportChunks, largest) = try await withDatabase(schema: "profiles") { database in
            let loyalty = try await database.scalar("SELECT max(chunks)::int FROM privacy_export_parts WHERE export_id = \(exportId) AND context = 'loyalty'")
            let support = try await database.scalar("SELECT max(chunks)::int FROM privacy_export_parts WHERE export_id = \(exportId) AND context = 'support'")
            let largest = try await database.scalar("SELECT max(octet_length(part))::int FROM privacy_export_parts WHERE export_id = \(exportId)")
            return (loyalty, support, largest)
        }
        #expect(loyaltyChunks > 1 && supportChunks > 1 && largest < 300_000, "\(loyaltyChunks) \(supportChunks) \(largest)")
    }

    @Test func erasureScrubsEveryContextOnce() async throws {
        let user = TestEnvironment.uniqueUser()
        let table = "oak-table-\(user)"
        #expect(try await send(.POST, "/profile", as: user, json: #"{"firstName":"Grace","lastName":"Hopper"}"#).status == 201)
        #expect(try await send(.POST, "/addresses", as: user, json: #"{"line1":"1 Oak Lane","city":"Leeds","postcode":"LS1 4AP","country":"GB"}"#).status == 201)
        #expect(try await send(.POST, "/wishlist/items", as: user, json: #"{"productId":"\#(table)","category":"KITCHEN"}"#).status == 201)
        let reviewId = try #require(try data(await send(.POST, "/reviews", as: user,
            json: #"{"productId":"\#(table)","rating":4,"title":"Solid","body":"Solid and well made, Grace."}"#))["id"] as? String)
        #expect(try await send(.PATCH, "/reviews/\(reviewId)/status", as: "admin-1", role: .admin, json: #"{"status":"APPROVED"}"#).status == 200)
        let ticketId = try #require(try data(await send(.POST, "/support/tickets", as: user,
            json: #"{"subject":"Call me on 07700 900123","message":"My number is 07700 900123."}"#))["id"] as? String)
        #expect(try await send(.POST, "/loyalty/transactions", as: "admin-1", role: .admin,
                               json: #"{"userId":"\#(user)","type":"EARN","points":50,"reason":"Welcome"}"#).status == 201)
        let code = try #require(try data(await send(.POST, "/referrals/generate", as: user))["code"] as? String)
        @Sendable func reviewerName() async throws -> String? {
            let page = try data(await Gateway.get("/v1/customers/reviews/product/\(table)"))
            return (page["reviews"] as? [[String: Any]])?.first?["reviewerName"] as? String
        }
        @Sendable func referrerName() async throws -> Any? {
            let validation = try data(await Gateway.get("/v1/customers/referrals/validate/\(code)"))
            return validation["referrerName"] ?? nil
        }
        #expect(try await eventually(timeout: .seconds(10)) {
            let reviewer = try await reviewerName()
            let referrer = try await referrerName()
            return reviewer == "Grace H." && referrer as? String == "Grace H."
        })

        let erased = try await send(.POST, "/privacy/erasure", as: user)
        let accepted = try data(erased)
        #expect(erased.status == 202 && accepted["status"] as? String == "ACCEPTED")
        #expect(try await send(.GET, "/profile", as: user).status == 404)
        #expect(try await eventually(timeout: .seconds(30)) {
            let ticket = try data(await send(.GET, "/support/tickets/\(ticketId)", as: "agent-1", role: .agent))
            let items = try data(await send(.GET, "/wishlist", as: user))["items"] as? [[String: Any]]
            let reviewer = try await reviewerName()
            // CONTRACT §13: the erased customer's referral code stops working.
            let validation = try await Gateway.get("/v1/customers/referrals/validate/\(code)")
            return ticket["status"] as? String == "CLOSED" && ticket["subject"] as? String == "[removed]" && items?.isEmpty == true
                && reviewer == "Customer" && validation.status == 404
        })
        let ticket = try data(await send(.GET, "/support/tickets/\(ticketId)", as: "agent-1", role: .agent))
        let messages = ticket["messages"] as? [[String: Any]] ?? []
        #expect(messages.map { $0["senderType"] as? String } == ["CUSTOMER", "SYSTEM"])
        #expect(messages.first?["message"] as? String == "[removed]")
        #expect(messages.last?["message"] as? String == "This ticket was closed because the customer asked for their data to be erased.")
        // Each event once; a repeat changes nothing more.
        @Sendable func counts() async throws -> [Int] {
            [
                try await Self.published("customer.erasure.requested", by: "profiles", about: user),
                try await Self.published("customer.profile.anonymized", by: "profiles", about: user),
                // Closed, and redacted: two changes of the ticket, in whichever order the events came.
                try await Self.published("customer.support_ticket.updated", by: "support", about: user),
            ]
        }
        #expect(try await counts() == [1, 1, 2])
        #expect(try await send(.POST, "/privacy/erasure", as: user).status == 202)
        try await Task.sleep(for: .seconds(1))
        #expect(try await counts() == [1, 1, 2])
        #expect(try await send(.GET, "/support/tickets/\(ticketId)", as: user).status == 200)
        // The token still works, and a new profile starts afresh.
        let fresh = try await send(.POST, "/profile", as: user, json: #"{"firstName":"G","lastName":"H"}"#)
        #expect(fresh.status == 201)
    }
}
