import Contracts
import Foundation
import HTTPKit
import NIOHTTP1
import PostgresNIO
import Testing
import TestSupport

/// CONTRACT §13, "Erasure wins over export", through the gateway and the stack's broker: no
/// export is ever downloadable with data an erasure removed, however the two requests meet.
///
/// Each race runs 20 times, four customers at a time and one test after another: enough
/// overlap for the races to happen, without crowding out the suites that time their servers.
@Suite(.serialized) struct ErasureWinsOverExportTests {
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
        #expect(try await send(.POST, "/profile", as: user, json: #"{"firstName":"Zoe\#(mark)","lastName":"Quill"}"#).status == 201)
        #expect(try await send(.POST, "/addresses", as: user,
                               json: #"{"line1":"1 Lane\#(mark)","city":"Leeds","postcode":"LS1 4AP","country":"GB"}"#).status == 201)
        #expect(try await send(.POST, "/wishlist/items", as: user,
                               json: #"{"productId":"\#(product)","category":"KITCHEN","notes":"note\#(mark)"}"#).status == 201)
        #expect(try await send(.POST, "/reviews", as: user,
                               json: #"{"productId":"\#(product)","rating":5,"title":"Solid","body":"Solid and well made, truly."}"#).status == 201)
        #expect(try await send(.POST, "/support/tickets", as: user,
                               json: #"{"subject":"subject\#(mark)","message":"message\#(mark) about my door"}"#).status == 201)
        let code = try #require(try data(await send(.POST, "/referrals/generate", as: user))["code"] as? String)
        // The reviewer's and referrer's names have reached engagement's and loyalty's projections.
        #expect(try await eventually(timeout: .seconds(20)) {
            let reviews = try await send(.GET, "/reviews", as: user).json()["data"] as? [[String: Any]]
            let referrer = try data(await Gateway.get("/v1/customers/referrals/validate/\(code)"))["referrerName"] as? String
            return reviews?.first?["reviewerName"] as? String == "Zoe\(mark) Q." && referrer == "Zoe\(mark) Q."
        })
        return Customer(user: user, referralCode: code, erased: ["Zoe\(mark)", "Lane\(mark)", "note\(mark)", "subject\(mark)", "message\(mark)", code])
    }

    /// The export's final status (it leaves PENDING: READY, or CANCELLED by the erasure).
    static func settled(_ exportId: String, of user: String) async throws -> String {
        _ = try await eventually(timeout: .seconds(40)) {
            try data(await send(.GET, "/privacy/exports/\(exportId)", as: user))["status"] as? String != "PENDING"
        }
        return try data(await send(.GET, "/privacy/exports/\(exportId)", as: user))["status"] as? String ?? "?"
    }

    static func download(_ exportId: String, of user: String) async throws -> Gateway.Reply {
        try await send(.GET, "/privacy/exports/\(exportId)/download", as: user)
    }

    /// A READY document made after the erasure: every context answered, with what is left.
    static func expectClean(_ text: String, of customer: Customer) throws {
        for erased in customer.erased {
            #expect(!text.contains(erased), "the export holds \(erased): \(text.prefix(3000))")
        }
        let document = try PrivacyAcrossContextsTests.object(text)
        #expect(document["profile"] is NSNull)
        #expect((document["addresses"] as? [Any])?.isEmpty == true)
        #expect(document["wishlist"] is NSNull)
        let reviews = document["reviews"] as? [[String: Any]] ?? []
        #expect(reviews.count == 1 && reviews.first?["reviewerName"] as? String == "Customer")
        let tickets = document["tickets"] as? [[String: Any]] ?? []
        #expect(tickets.count == 1 && tickets.first?["subject"] as? String == "[removed]")
        let loyalty = document["loyalty"] as? [String: Any]
        #expect(loyalty?["referralCode"] is NSNull)
    }

    @Test func anErasureAndAnExportSentTogetherNeverLeaveTheErasedDataDownloadable() async throws {
        try await Self.repeated(20) {
            let customer = try await Self.customerWithDataEverywhere()
            async let erasure = send(.POST, "/privacy/erasure", as: customer.user)
            async let export = send(.POST, "/privacy/exports", as: customer.user)
            let (erased, requested) = try await (erasure, export)
            #expect(erased.status == 202 && requested.status == 202)
            let exportId = try #require(try data(requested)["id"] as? String)
            let status = try await Self.settled(exportId, of: customer.user)
            let download = try await Self.download(exportId, of: customer.user)
            switch status {
            case "CANCELLED":
                #expect(download.status == 404)
            case "READY":
                #expect(download.status == 200)
                try Self.expectClean(download.body, of: customer)
            default:
                Issue.record("export \(exportId) ended \(status)")
            }
        }
    }

    @Test func anExportAMomentAfterAnErasureHoldsOnlyWhatIsLeft() async throws {
        try await Self.repeated(20) {
            let customer = try await Self.customerWithDataEverywhere()
            #expect(try await send(.POST, "/privacy/erasure", as: customer.user).status == 202)
            let requested = try await send(.POST, "/privacy/exports", as: customer.user)
            let exportId = try #require(try data(requested)["id"] as? String)
            #expect(try await Self.settled(exportId, of: customer.user) == "READY")
            let download = try await Self.download(exportId, of: customer.user)
            #expect(download.status == 200)
            try Self.expectClean(download.body, of: customer)
            // The erased customer's referral code no longer works.
            #expect(try await eventually(timeout: .seconds(10)) {
                try await Gateway.get("/v1/customers/referrals/validate/\(customer.referralCode)").status == 404
            })
        }
    }

    @Test func anErasureCancelsReadyAndPendingExportsAndDropsLateParts() async throws {
        let customer = try await Self.customerWithDataEverywhere()
        let user = customer.user
        let readyId = try #require(try data(await send(.POST, "/privacy/exports", as: user))["id"] as? String)
        #expect(try await Self.settled(readyId, of: user) == "READY")
        #expect(try await Self.download(readyId, of: user).status == 200)
        // A pending export, its profiles part already collected: made in profiles' tables, since
        // the stack's contexts answer a real request within milliseconds.
        let pendingId = UUID()
        try await withDatabase(schema: "profiles") { database in
            try await database.query("""
                INSERT INTO privacy_requests (id, user_id, kind, status, requested_by)
                VALUES (\(pendingId), \(user), 'EXPORT', 'PENDING', \(user))
                """)
            try await database.query("""
                INSERT INTO privacy_export_parts (export_id, context, chunk, chunks, part) VALUES (\(pendingId), 'profiles', 1, 1, '{}')
                """)
        }
        #expect(try await send(.POST, "/privacy/erasure", as: user).status == 202)
        for id in [readyId, pendingId.uuidString.lowercased()] {
            let export = try data(await send(.GET, "/privacy/exports/\(id)", as: user))
            #expect(export["status"] as? String == "CANCELLED", "\(id)")
            #expect(export["expiresAt"] is NSNull)
            #expect(try await Self.download(id, of: user).status == 404)
        }
        let (parts, cancelled) = try await withDatabase(schema: "profiles") { database in
            (
                try await database.scalar("SELECT count(*)::int FROM privacy_export_parts p JOIN privacy_requests r ON r.id = p.export_id WHERE r.user_id = \(user)"),
                try await database.scalar("SELECT count(*)::int FROM privacy_requests WHERE user_id = \(user) AND status = 'CANCELLED'")
            )
        }
        #expect(parts == 0)
        #expect(cancelled == 2)

        // A part arriving after the cancellation is dropped: here, the part the pending export
        // was waiting for.
        let publisher = try TestPublisher(brokers: TestEnvironment.kafkaBrokers)
        let late = try await publisher.publish(Topics.dataExportPart, DataExportPart(
            exportId: pendingId, userId: user, context: "support",
            part: .object(["tickets": .array([.object(["subject": .string(customer.erased[3])])])]), chunk: 1, chunks: 1), userId: user, source: "support")
        await publisher.shutdown()
        let (delivered, kept) = try await withDatabase(schema: "profiles") { database in
            let delivered = try await eventually(timeout: .seconds(10)) {
                try await database.scalar("SELECT count(*)::int FROM processed_events WHERE event_id = \(late.id)") == 1
            }
            return (delivered, try await database.scalar("SELECT count(*)::int FROM privacy_export_parts WHERE export_id = \(pendingId)"))
        }
        #expect(delivered)
        #expect(kept == 0)
        let export = try data(await send(.GET, "/privacy/exports/\(pendingId.uuidString.lowercased())", as: user))
        #expect(export["status"] as? String == "CANCELLED")
        #expect((export["parts"] as? [String: String])?.values.allSatisfy { $0 == "PENDING" } == true)
        #expect(try await Self.download(pendingId.uuidString.lowercased(), of: user).status == 404)
    }
}
