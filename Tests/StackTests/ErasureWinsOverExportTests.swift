import Contracts
import Foundation
import Hummingbird
import PostgresNIO
import TestSupport
import Testing

@testable import engagement
@testable import loyalty
@testable import profiles

/// CONTRACT §13, "Erasure wins over export", through the gateway and the stack's broker: no
/// export is ever downloadable with data an erasure removed, however the two requests meet.
///
/// Each race runs 20 times, four customers at a time and one test after another: enough
/// overlap for the races to happen, without crowding out the suites that time their servers.
@Suite(.needsStack, .serialized) struct ErasureWinsOverExportTests {
    /// Runs `body` `times` times, at most `width` at once.
    static func repeated(_ times: Int, width: Int = 4, _ body: @escaping @Sendable () async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<times {
                if index >= width { try await group.next() }
                group.addTask { try await body() }
            }
            try await group.waitForAll()
        }
    }

    /// A customer with something to erase in every context, and the strings that must never
    /// appear in an export made after (or overtaken by) their erasure.
    struct Customer {
        let user: String
        let referralCode: String
        /// Profile name and address, wishlist note, ticket subject and message, referral code.
        let erased: [String]
    }

    static func customerWithDataEverywhere() async throws -> Customer {
        let user = TestEnvironment.uniqueUser("erase")
        let mark = String(user.suffix(12))
        let product = "oak-\(user)"
        #expect(try await gateway.post("/profile", as: user, body: ["firstName": "Zoe\(mark)", "lastName": "Quill"]).status == .created)
        #expect(
            try await gateway.post(
                "/addresses", as: user, body: ["line1": "1 Lane\(mark)", "city": "Leeds", "postcode": "LS1 4AP", "country": "GB"]
            ).status == .created)
        #expect(
            try await gateway.post(
                "/wishlist/items", as: user, body: ["productId": "\(product)", "category": "KITCHEN", "notes": "note\(mark)"]
            ).status == .created)
        #expect(
            try await gateway.post(
                "/reviews", as: user, body: ["productId": "\(product)", "rating": 5, "title": "Solid", "body": "Solid and well made, truly."]
            ).status == .created)
        #expect(
            try await gateway.post(
                "/support/tickets", as: user, body: ["subject": "subject\(mark)", "message": "message\(mark) about my door"]
            ).status == .created)
        let code = try await gateway.post("/referrals/generate", as: user).data(ReferralController.Generated.self).code
        // The reviewer's and referrer's names have reached engagement's and loyalty's projections.
        #expect(
            try await eventually(timeout: .seconds(20)) {
                let reviews = try await gateway.get("/reviews", as: user).data([Review].self)
                let referrer = try await gateway.get("/referrals/validate/\(code)", as: nil).data(ReferralStore.Validation.self).referrerName
                return reviews.first?.reviewerName == "Zoe\(mark) Q." && referrer == "Zoe\(mark) Q."
            })
        return Customer(
            user: user, referralCode: code, erased: ["Zoe\(mark)", "Lane\(mark)", "note\(mark)", "subject\(mark)", "message\(mark)", code])
    }

    /// The export's final status (it leaves PENDING: READY, or CANCELLED by the erasure).
    static func settled(_ exportId: UUID, of user: String) async throws -> PrivacyRequest.Status {
        _ = try await eventually(timeout: .seconds(40)) {
            try await Self.export(exportId, of: user).status != .pending
        }
        return try await Self.export(exportId, of: user).status
    }

    static func export(_ exportId: UUID, of user: String) async throws -> PrivacyRequest {
        try await gateway.get("/privacy/exports/\(exportId.lowercasedString)", as: user).data(PrivacyRequest.self)
    }

    static func download(_ exportId: UUID, of user: String) async throws -> Answer {
        try await gateway.get("/privacy/exports/\(exportId.lowercasedString)/download", as: user)
    }

    /// A READY document made after the erasure: every context answered, with what is left.
    static func expectClean(_ download: Answer, of customer: Customer) throws {
        let text = download.text
        for erased in customer.erased {
            #expect(!text.contains(erased), "the export holds \(erased): \(text.prefix(3000))")
        }
        // Present, and null: the JSON itself.
        let object = try download.decode([String: JSONValue].self)
        #expect(object["profile"] == .null)
        #expect(object["wishlist"] == .null)
        if case .object(let loyalty)? = object["loyalty"] {
            #expect(loyalty["referralCode"] == .null)
        } else {
            Issue.record("no loyalty part: \(text.prefix(3000))")
        }
        let document = try download.decode(ExportDocument.self)
        #expect(document.addresses.isEmpty)
        #expect(document.reviews.count == 1 && document.reviews.first?.reviewerName == "Customer")
        #expect(document.tickets.count == 1 && document.tickets.first?.subject == "[removed]")
    }

    @Test func anErasureAndAnExportSentTogetherNeverLeaveTheErasedDataDownloadable() async throws {
        try await Self.repeated(20) {
            let customer = try await Self.customerWithDataEverywhere()
            async let erasure = gateway.post("/privacy/erasure", as: customer.user)
            async let export = gateway.post("/privacy/exports", as: customer.user)
            let (erased, requested) = try await (erasure, export)
            #expect(erased.status == .accepted && requested.status == .accepted)
            let exportId = try requested.data(PrivacyRequest.self).id
            let status = try await Self.settled(exportId, of: customer.user)
            let download = try await Self.download(exportId, of: customer.user)
            switch status {
            case .cancelled:
                #expect(download.status == .notFound)
            case .ready:
                #expect(download.status == .ok)
                try Self.expectClean(download, of: customer)
            default:
                Issue.record("export \(exportId) ended \(status)")
            }
        }
    }

    @Test func anExportAMomentAfterAnErasureHoldsOnlyWhatIsLeft() async throws {
        try await Self.repeated(20) {
            let customer = try await Self.customerWithDataEverywhere()
            #expect(try await gateway.post("/privacy/erasure", as: customer.user).status == .accepted)
            let requested = try await gateway.post("/privacy/exports", as: customer.user)
            let exportId = try requested.data(PrivacyRequest.self).id
            #expect(try await Self.settled(exportId, of: customer.user) == .ready)
            let download = try await Self.download(exportId, of: customer.user)
            #expect(download.status == .ok)
            try Self.expectClean(download, of: customer)
            // The erased customer's referral code no longer works.
            #expect(
                try await eventually(timeout: .seconds(10)) {
                    try await gateway.get("/referrals/validate/\(customer.referralCode)", as: nil).status == .notFound
                })
        }
    }

    /// A pending export of `user`, its profiles part already collected: made in profiles'
    /// tables, since the stack's contexts answer a real request within milliseconds.
    static func pendingExport(of user: String) async throws -> UUID {
        let pendingId = UUID()
        try await withDatabase(schema: "profiles") { database in
            try await database.query(
                """
                INSERT INTO privacy_requests (id, user_id, kind, status, requested_by)
                VALUES (\(pendingId), \(user), 'EXPORT', 'PENDING', \(user))
                """)
            try await database.query(
                """
                INSERT INTO privacy_export_parts (export_id, context, chunk, chunks, part) VALUES (\(pendingId), 'profiles', 1, 1, '{}')
                """)
        }
        return pendingId
    }

    @Test func anErasureCancelsReadyAndPendingExports() async throws {
        let customer = try await Self.customerWithDataEverywhere()
        let user = customer.user
        let readyId = try await gateway.post("/privacy/exports", as: user).data(PrivacyRequest.self).id
        #expect(try await Self.settled(readyId, of: user) == .ready)
        #expect(try await Self.download(readyId, of: user).status == .ok)
        let pendingId = try await Self.pendingExport(of: user)
        #expect(try await gateway.post("/privacy/erasure", as: user).status == .accepted)
        for id in [readyId, pendingId] {
            let export = try await Self.export(id, of: user)
            #expect(export.status == .cancelled, "\(id)")
            #expect(export.expiresAt == nil)
            #expect(try await Self.download(id, of: user).status == .notFound)
        }
        let (parts, cancelled) = try await withDatabase(schema: "profiles") { database in
            (
                try await database.scalar(
                    "SELECT count(*)::int FROM privacy_export_parts p JOIN privacy_requests r ON r.id = p.export_id WHERE r.user_id = \(user)"),
                try await database.scalar("SELECT count(*)::int FROM privacy_requests WHERE user_id = \(user) AND status = 'CANCELLED'")
            )
        }
        #expect(parts == 0)
        #expect(cancelled == 2)
    }

    /// A part arriving after the cancellation is dropped: here, the part the pending export
    /// was waiting for.
    @Test func aPartArrivingAfterAnErasureCancelledItsExportIsDropped() async throws {
        let user = TestEnvironment.uniqueUser("erase")
        let mark = String(user.suffix(12))
        #expect(try await gateway.post("/profile", as: user, body: ["firstName": "Zoe\(mark)", "lastName": "Quill"]).status == .created)
        let pendingId = try await Self.pendingExport(of: user)
        #expect(try await gateway.post("/privacy/erasure", as: user).status == .accepted)
        #expect(try await Self.export(pendingId, of: user).status == .cancelled)

        let publisher = try TestPublisher(brokers: TestEnvironment.kafkaBrokers)
        let late = try await publisher.publish(
            Topics.dataExportPart,
            DataExportPart(
                exportId: pendingId, userId: user, context: "support",
                part: .object(["tickets": .array([.object(["subject": .string("subject\(mark)")])])]), chunk: 1, chunks: 1),
            userId: user, source: "support")
        await publisher.shutdown()
        let (delivered, kept) = try await withDatabase(schema: "profiles") { database in
            let delivered = try await eventually(timeout: .seconds(10)) {
                try await database.scalar("SELECT count(*)::int FROM processed_events WHERE event_id = \(late.id)") == 1
            }
            return (delivered, try await database.scalar("SELECT count(*)::int FROM privacy_export_parts WHERE export_id = \(pendingId)"))
        }
        #expect(delivered)
        #expect(kept == 0)
        let export = try await Self.export(pendingId, of: user)
        #expect(export.status == .cancelled)
        #expect(export.parts?.values.allSatisfy { $0 == "PENDING" } == true)
        #expect(try await Self.download(pendingId, of: user).status == .notFound)
    }
}
