import Contracts
import Foundation
import HummingbirdTesting
import PostgresNIO
@testable import profiles
import ServiceKit
import Testing
import TestSupport

/// CONTRACT §13 in profiles, through its HTTP routes and a Kafka of the test's own. The other
/// contexts' parts are published here as they would publish them; the stack test
/// (PrivacyAcrossContextsTests) runs the real four.
@Suite struct PrivacyTests {
    /// A part as `context` sends it: one chunk of `chunks`.
    static func part(_ exportId: String, _ user: String, _ context: String, _ part: JSONValue, chunk: Int = 1, of chunks: Int = 1) -> DataExportPart {
        DataExportPart(exportId: UUID(uuidString: exportId)!, userId: user, context: context, part: part, chunk: chunk, chunks: chunks)
    }

    @Test func anExportCollectsEveryPartOnceAndServesTheDocument() async throws {
        try await withTestServiceAndBroker(ProfilesService.self) { client, app, brokers in
            let user = TestEnvironment.uniqueUser(), other = TestEnvironment.uniqueUser()
            #expect(try await call(client, .post, "/profile", as: user, body: #"{"firstName":"Ada","lastName":"Lovelace"}"#).status == .created)
            #expect(try await call(client, .post, "/addresses", as: user, body: """
                {"line1":"1 Oak Lane","city":"Leeds","postcode":"LS1 4AP","country":"GB"}
                """).status == .created)

            let requested = try await call(client, .post, "/privacy/exports", as: user)
            #expect(requested.status == .accepted)
            let id = try #require(requested.data["id"] as? String)
            #expect(requested.data["status"] as? String == "PENDING" && requested.data["userId"] as? String == user)
            #expect(requested.data["kind"] as? String == "EXPORT" && requested.data["requestedBy"] as? String == user)
            #expect(requested.data["completedAt"] is NSNull && requested.data["expiresAt"] is NSNull)
            // A second request while it is pending answers the pending one.
            let again = try await call(client, .post, "/privacy/exports", as: user)
            #expect(again.status == .ok && again.data["id"] as? String == id)
            // Another customer's export, an unknown id and a malformed one are 404s.
            #expect(try await call(client, .get, "/privacy/exports/\(id)", as: other).status == .notFound)
            #expect(try await call(client, .get, "/privacy/exports/\(id)/download", as: other).status == .notFound)
            #expect(try await call(client, .get, "/privacy/exports/\(UUID().uuidString)", as: user).status == .notFound)
            #expect(try await call(client, .get, "/privacy/exports/not-an-id", as: user).status == .notFound)
            // Before READY the download is a 409.
            let early = try await call(client, .get, "/privacy/exports/\(id)/download", as: user)
            #expect(early.status == .conflict && early.errorCode == "INVALID_STATE")

            // Profiles answers the request itself, through the broker.
            @Sendable func parts() async throws -> [String: String] {
                try await call(client, .get, "/privacy/exports/\(id)", as: user).data["parts"] as? [String: String] ?? [:]
            }
            #expect(try await eventually { try await parts()["profiles"] == "READY" })
            #expect(try await parts() == ["profiles": "READY", "engagement": "PENDING", "support": "PENDING", "loyalty": "PENDING"])

            // The others: support in two chunks, the second delivered twice and once more with a
            // new event id; loyalty once.
            let publisher = try TestPublisher(brokers: brokers)
            let ticket1 = JSONValue.object(["subject": .string("First")]), ticket2 = JSONValue.object(["subject": .string("Second")])
            try await publisher.publish(Topics.dataExportPart, Self.part(id, user, "engagement", .object([
                "wishlist": .object(["items": .array([.object(["productId": .string("oak-table")])])]), "reviews": .array([]),
            ])), userId: user, source: "engagement")
            try await publisher.publish(Topics.dataExportPart, Self.part(id, user, "support", .object(["tickets": .array([ticket1])]), chunk: 1, of: 2),
                                        userId: user, source: "support")
            let second = Self.part(id, user, "support", .object(["tickets": .array([ticket2])]), chunk: 2, of: 2)
            try await publisher.publish(Topics.dataExportPart, second, userId: user, source: "support", times: 2)
            try await publisher.publish(Topics.dataExportPart, second, userId: user, source: "support")
            let last = try await publisher.publish(Topics.dataExportPart, Self.part(id, user, "loyalty", .object([
                "loyalty": .object(["account": .object(["points": .int(120)]), "transactions": .array([])]), "referrals": .array([]),
            ])), userId: user, source: "loyalty")
            // A chunk of an unknown export, and one claiming to be from a context that is not one.
            let stray = try await publisher.publish(Topics.dataExportPart, Self.part(UUID().uuidString, user, "loyalty", .object([:])), userId: user)
            let billing = try await publisher.publish(Topics.dataExportPart, Self.part(id, user, "billing", .object(["cards": .array([])])), userId: user)
            let malformed = try await publisher.publish(
                Topics.dataExportPart, Self.part(id, user, "loyalty", .object(["cards": .array([])]), chunk: 1, of: 0), userId: user)
            await publisher.shutdown()
            // One partition per customer: once the last is applied, so is everything before it.
            #expect(try await eventually { try await app.hasProcessed(malformed.id) })
            for event in [last.id, stray.id, billing.id] { #expect(try await app.hasProcessed(event)) }

            let ready = try await call(client, .get, "/privacy/exports/\(id)", as: user)
            #expect(ready.data["status"] as? String == "READY" && ready.data["completedAt"] is String && ready.data["expiresAt"] is String)
            #expect(ready.data["parts"] as? [String: String] == ["profiles": "READY", "engagement": "READY", "support": "READY", "loyalty": "READY"])
            #expect(try await app.runtime.database.scalar("SELECT count(*)::int FROM privacy_export_parts WHERE export_id = \(UUID(uuidString: id)!)") == 4 + 1)

            let download = try await client.execute(uri: "/v1/customers/privacy/exports/\(id)/download", method: .get,
                                                    headers: bearer(try await TestEnvironment.token(user))) { $0 }
            #expect(download.status == .ok)
            #expect(download.headers[.contentType] == "application/json; charset=utf-8")
            #expect(download.headers[.contentDisposition] == #"attachment; filename="lomash-wood-data-\#(id).json""#)
            let document = try download.json()
            #expect(Set(document.keys) == [
                "generatedAt", "userId", "profile", "addresses", "notificationPreferences", "portal", "wishlist", "reviews", "tickets",
                "loyalty", "referrals",
            ])
            #expect(document["userId"] as? String == user && document["generatedAt"] as? String == ready.data["completedAt"] as? String)
            #expect((document["profile"] as? [String: Any])?["firstName"] as? String == "Ada")
            #expect((document["addresses"] as? [[String: Any]])?.map { $0["postcode"] as? String } == ["LS1 4AP"])
            #expect(document["notificationPreferences"] is NSNull)
            let portal = document["portal"] as? [String: [Any]]
            #expect(portal?["orders"]?.count == 0 && portal?["appointments"]?.count == 0 && portal?["brochureRequests"]?.count == 0)
            // The chunks in order, each once.
            #expect((document["tickets"] as? [[String: Any]])?.map { $0["subject"] as? String } == ["First", "Second"])
            #expect(((document["loyalty"] as? [String: Any])?["account"] as? [String: Any])?["points"] as? Int == 120)
            #expect(document["cards"] == nil)

            // The list shows it, newest first; a new request now starts another export.
            let list = try await call(client, .get, "/privacy/exports", as: user)
            #expect(list.list.map { $0["id"] as? String } == [id] && list.meta["total"] as? Int == 1)
            let next = try await call(client, .post, "/privacy/exports", as: user)
            #expect(next.status == .accepted && next.data["id"] as? String != id)
        }
    }

    @Test func aContextThatDoesNotAnswerFailsTheExportAfterTheTimeout() async throws {
        try await withTestServiceAndBroker(ProfilesService.self, overrides: ["PRIVACY_EXPORT_TIMEOUT_SECONDS": "60"]) { client, app, brokers in
            let user = TestEnvironment.uniqueUser()
            let database = app.runtime.database
            let id = try #require(try await call(client, .post, "/privacy/exports", as: user).data["id"] as? String)
            let exportId = UUID(uuidString: id)!
            let publisher = try TestPublisher(brokers: brokers)
            for context in ["engagement", "support"] {
                try await publisher.publish(Topics.dataExportPart, Self.part(id, user, context, .object([:])), userId: user, source: context)
            }
            await publisher.shutdown()
            @Sendable func export() async throws -> [String: Any] { try await call(client, .get, "/privacy/exports/\(id)", as: user).data }
            #expect(try await eventually(timeout: .seconds(30)) {
                try await export()["parts"] as? [String: String] == ["profiles": "READY", "engagement": "READY", "support": "READY", "loyalty": "PENDING"]
            })
            #expect(try await export()["status"] as? String == "PENDING")
            // The timeout passes (the request is made older rather than the test slower).
            try await database.query("UPDATE privacy_requests SET requested_at = requested_at - interval '61 seconds' WHERE id = \(exportId)")
            let failed = try await export()
            #expect(failed["status"] as? String == "FAILED")
            #expect(failed["parts"] as? [String: String] == ["profiles": "READY", "engagement": "READY", "support": "READY", "loyalty": "PENDING"])
            #expect(failed["completedAt"] is String && failed["expiresAt"] is NSNull)
            let download = try await call(client, .get, "/privacy/exports/\(id)/download", as: user)
            #expect(download.status == .conflict && download.errorCode == "INVALID_STATE")
            // What had arrived is not kept; a late part changes nothing; a new request may be made.
            #expect(try await database.scalar("SELECT count(*)::int FROM privacy_export_parts WHERE export_id = \(exportId)") == 0)
            let late = try TestPublisher(brokers: brokers)
            let event = try await late.publish(Topics.dataExportPart, Self.part(id, user, "loyalty", .object([:])), userId: user, source: "loyalty")
            await late.shutdown()
            #expect(try await eventually { try await app.hasProcessed(event.id) })
            #expect(try await export()["status"] as? String == "FAILED")
            #expect(try await database.scalar("SELECT count(*)::int FROM privacy_export_parts WHERE export_id = \(exportId)") == 0)
            #expect(try await call(client, .post, "/privacy/exports", as: user).status == .accepted)

            // The job fails exports nobody reads again; a dry run only counts them.
            let quiet = TestEnvironment.uniqueUser()
            _ = try await call(client, .post, "/privacy/exports", as: quiet)
            try await database.query("UPDATE privacy_requests SET requested_at = requested_at - interval '61 seconds' WHERE user_id = \(quiet)")
            let job = try #require(app.jobs.first { $0.name == "expire-privacy-exports" })
            let runner = JobRunner(runtime: app.runtime)
            guard case .succeeded(let dry) = try await runner.run(job, dryRun: true, now: Date()),
                  case .succeeded(let outcome) = try await runner.run(job, dryRun: false, now: Date()) else {
                Issue.record("the job failed"); return
            }
            #expect((dry.counts["wouldFail"] ?? 0) >= 1 && (outcome.counts["failed"] ?? 0) >= 1)
            #expect(try await database.scalar(
                "SELECT count(*)::int FROM privacy_requests WHERE user_id = \(quiet) AND status = 'FAILED'") == 1)
        }
    }

    @Test func erasureDeletesTheProfileAndPublishesOnceAndAdminsMayAskForACustomer() async throws {
        try await withTestService(ProfilesService.self) { client, app in
            let user = TestEnvironment.uniqueUser()
            let database = app.runtime.database
            #expect(try await call(client, .post, "/profile", as: user, body: #"{"firstName":"Ada","lastName":"Lovelace","phone":"07700900123"}"#).status == .created)
            #expect(try await call(client, .post, "/addresses", as: user, body: """
                {"line1":"1 Oak Lane","city":"Leeds","postcode":"LS1 4AP","country":"GB"}
                """).status == .created)
            #expect(try await call(client, .put, "/notification-preferences", as: user, body: #"{"newsletter":true}"#).status == .ok)
            #expect(try await call(client, .get, "/profile", as: user).status == .ok)  // cached now

            @Sendable func published(_ topic: String) async throws -> Int {
                try await database.scalar("SELECT count(*)::int FROM outbox WHERE key = \(user) AND topic = \(topic)")
            }
            let erased = try await call(client, .post, "/privacy/erasure", as: user)
            #expect(erased.status == .accepted)
            #expect(erased.data["userId"] as? String == user && erased.data["status"] as? String == "ACCEPTED" && erased.data["requestedAt"] is String)
            #expect(try await call(client, .get, "/profile", as: user).status == .notFound)
            #expect(try await call(client, .get, "/addresses", as: user).list.isEmpty)
            #expect(try await database.scalar("SELECT count(*)::int FROM notification_preferences WHERE user_id = \(user)") == 0)
            #expect(try await database.scalar("SELECT count(*)::int FROM customer_index WHERE user_id = \(user)") == 0)
            #expect(try await published("customer.erasure.requested") == 1)
            #expect(try await published("customer.profile.anonymized") == 1)
            #expect(try await database.scalar("""
                SELECT count(*)::int FROM outbox WHERE key = \(user) AND topic = 'customer.erasure.requested'
                  AND value::jsonb #>> '{payload,requestedBy}' = \(user)
                """) == 1)

            // Again: 202, and nothing more happens.
            #expect(try await call(client, .post, "/privacy/erasure", as: user).status == .accepted)
            #expect(try await published("customer.erasure.requested") == 1)
            #expect(try await published("customer.profile.anonymized") == 1)

            // The auth-service's event, replayed by sync-customer-data, does not bring it back.
            let registered = UserCreated(userId: user, email: "ada@example.com", firstName: "Ada", lastName: "Lovelace",
                                         registeredAt: Date().addingTimeInterval(-86_400))
            let recreated = try await database.transaction { connection in
                try await ProfileStore.createIfMissing(registered, correlationId: "replay", runtime: app.runtime, on: connection)
            }
            #expect(recreated == false)
            #expect(try await call(client, .get, "/profile", as: user).status == .notFound)

            // The token still works: a new profile starts afresh, and can be erased in turn.
            let fresh = try await call(client, .post, "/profile", as: user, body: #"{"firstName":"Ada","lastName":"King"}"#)
            #expect(fresh.status == .created && fresh.data["phone"] is NSNull)
            #expect(try await call(client, .post, "/privacy/erasure", as: user).status == .accepted)
            #expect(try await published("customer.profile.anonymized") == 2)

            // Admins: the same for a customer, and the audit of their requests. Customers may not.
            #expect(try await call(client, .post, "/admin/customers/\(user)/erasure", as: user).status == .forbidden)
            #expect(try await call(client, .post, "/admin/customers/\(user)/exports", as: "agent-1", role: .agent).status == .forbidden)
            #expect(try await call(client, .get, "/admin/customers/\(user)/exports", as: user).status == .forbidden)
            #expect(try await call(client, .post, "/admin/customers/\(user)/erasure", as: "admin-1", role: .admin).status == .accepted)
            let export = try await call(client, .post, "/admin/customers/\(user)/exports", as: "admin-1", role: .admin)
            #expect(export.status == .accepted && export.data["userId"] as? String == user && export.data["requestedBy"] as? String == "admin-1")
            let audit = try await call(client, .get, "/admin/customers/\(user)/exports", as: "admin-1", role: .admin)
            #expect(audit.status == .ok && audit.meta["total"] as? Int == 5)
            #expect(audit.list.map { "\($0["kind"] ?? ""):\($0["status"] ?? ""):\($0["requestedBy"] ?? "")" } == [
                "EXPORT:PENDING:admin-1", "ERASURE:ALREADY_ERASED:admin-1", "ERASURE:ERASED:\(user)", "ERASURE:ALREADY_ERASED:\(user)",
                "ERASURE:ERASED:\(user)",
            ])
            // The customer's own list shows exports only, and the audit holds no personal data.
            #expect(try await call(client, .get, "/privacy/exports", as: user).list.count == 1)
        }
    }
}
