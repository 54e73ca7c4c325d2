import Contracts
import Foundation
import Hummingbird
import PostgresNIO
import ServiceKit
import TestSupport
import Testing

@testable import profiles

/// `ErasureAccepted` as the contract shows it: the production type's `status` is a constant
/// that decoding would not read.
struct ErasureAnswer: Decodable {
    let userId: String
    let status: String
    let requestedAt: Date
}

/// The parts of a data export's document these tests read.
struct ExportDocument: Decodable {
    struct Named: Decodable { let firstName: String }
    struct Located: Decodable { let postcode: String }
    struct Portal: Decodable {
        let orders: [JSONValue]
        let appointments: [JSONValue]
        let brochureRequests: [JSONValue]
    }
    struct Subject: Decodable { let subject: String }
    struct Loyalty: Decodable {
        struct Account: Decodable { let points: Int }
        let account: Account
    }

    let generatedAt: Date
    let userId: String
    let profile: Named
    let addresses: [Located]
    let portal: Portal
    let tickets: [Subject]
    let loyalty: Loyalty
}

/// CONTRACT §13 in profiles, through its HTTP routes and a Kafka of the test's own. The other
/// contexts' parts are published here as they would publish them; the stack test
/// (PrivacyAcrossContextsTests) runs the real four.
@Suite(.needsTestServers) struct PrivacyTests {
    /// A part as `context` sends it: one chunk of `chunks`.
    static func part(_ exportId: UUID, _ user: String, _ context: String, _ part: JSONValue, chunk: Int = 1, of chunks: Int = 1) -> DataExportPart {
        DataExportPart(exportId: exportId, userId: user, context: context, part: part, chunk: chunk, chunks: chunks)
    }

    static let allReady = ["profiles": "READY", "engagement": "READY", "support": "READY", "loyalty": "READY"]
    static let allButLoyalty = ["profiles": "READY", "engagement": "READY", "support": "READY", "loyalty": "PENDING"]

    func export(_ api: API, _ id: UUID, as user: String) async throws -> PrivacyRequest {
        try await api.get("/privacy/exports/\(id.lowercasedString)", as: user).data(PrivacyRequest.self)
    }

    func requestExport(_ api: API, as user: String) async throws -> PrivacyRequest {
        try await api.post("/privacy/exports", as: user).data(PrivacyRequest.self)
    }

    // MARK: An export

    @Test func anExportIsRequestedPending() async throws {
        try await withTestService(ProfilesService.self) { api, _ in
            let user = TestEnvironment.uniqueUser()
            let requested = try await api.post("/privacy/exports", as: user)
            #expect(requested.status == .accepted)
            let export = try requested.data(PrivacyRequest.self)
            #expect(export.status == .pending && export.userId == user)
            #expect(export.kind == .export && export.requestedBy == user)
            #expect(export.completedAt == nil && export.expiresAt == nil)
        }
    }

    /// A second request while it is pending answers the pending one.
    @Test func aSecondRequestWhileOneIsPendingAnswersThePendingOne() async throws {
        try await withTestService(ProfilesService.self) { api, _ in
            let user = TestEnvironment.uniqueUser()
            let id = try await requestExport(api, as: user).id
            let again = try await api.post("/privacy/exports", as: user)
            #expect(again.status == .ok)
            #expect(try again.data(PrivacyRequest.self).id == id)
        }
    }

    /// Another customer's export, an unknown id and a malformed one are 404s.
    @Test func anotherCustomersExportAndUnknownIdsAreNotFound() async throws {
        try await withTestService(ProfilesService.self) { api, _ in
            let user = TestEnvironment.uniqueUser()
            let other = TestEnvironment.uniqueUser()
            let id = try await requestExport(api, as: user).id.lowercasedString
            #expect(try await api.get("/privacy/exports/\(id)", as: other).status == .notFound)
            #expect(try await api.get("/privacy/exports/\(id)/download", as: other).status == .notFound)
            #expect(try await api.get("/privacy/exports/\(UUID().uuidString)", as: user).status == .notFound)
            #expect(try await api.get("/privacy/exports/not-an-id", as: user).status == .notFound)
        }
    }

    /// Before READY the download is a 409.
    @Test func theDownloadIsAConflictBeforeTheExportIsReady() async throws {
        try await withTestService(ProfilesService.self) { api, _ in
            let user = TestEnvironment.uniqueUser()
            let id = try await requestExport(api, as: user).id.lowercasedString
            let early = try await api.get("/privacy/exports/\(id)/download", as: user)
            #expect(early.status == .conflict && early.errorCode == "INVALID_STATE")
        }
    }

    /// A customer with a profile and an address requests an export; profiles answers its own
    /// part through the broker, then the others answer: support in two chunks, the second
    /// delivered twice and once more with a new event id; loyalty once; and three parts that do
    /// not count (an unknown export, a context that is not one, a malformed chunk). Returns the
    /// export's id once all of them are applied.
    func collectedExport(_ api: API, _ app: ServiceApp, brokers: String, user: String) async throws -> UUID {
        #expect(try await api.post("/profile", as: user, body: ["firstName": "Ada", "lastName": "Lovelace"]).status == .created)
        #expect(
            try await api.post(
                "/addresses", as: user, body: ["line1": "1 Oak Lane", "city": "Leeds", "postcode": "LS1 4AP", "country": "GB"]
            ).status == .created)
        let id = try await requestExport(api, as: user).id

        // Profiles answers the request itself, through the broker.
        #expect(try await eventually { try await export(api, id, as: user).parts?["profiles"] == "READY" })
        let onlyProfiles = ["profiles": "READY", "engagement": "PENDING", "support": "PENDING", "loyalty": "PENDING"]
        #expect(try await export(api, id, as: user).parts == onlyProfiles)

        let publisher = try TestPublisher(brokers: brokers)
        try await publisher.publish(
            Topics.dataExportPart,
            Self.part(
                id, user, "engagement",
                [
                    "wishlist": ["items": [["productId": "oak-table"]]], "reviews": [],
                ]), userId: user, source: "engagement")
        let first = Self.part(id, user, "support", ["tickets": [["subject": "First"]]], chunk: 1, of: 2)
        try await publisher.publish(Topics.dataExportPart, first, userId: user, source: "support")
        let second = Self.part(id, user, "support", ["tickets": [["subject": "Second"]]], chunk: 2, of: 2)
        try await publisher.publish(Topics.dataExportPart, second, userId: user, source: "support", times: 2)
        try await publisher.publish(Topics.dataExportPart, second, userId: user, source: "support")
        let last = try await publisher.publish(
            Topics.dataExportPart,
            Self.part(
                id, user, "loyalty",
                [
                    "loyalty": ["account": ["points": 120], "transactions": []], "referrals": [],
                ]), userId: user, source: "loyalty")
        // A chunk of an unknown export, and one claiming to be from a context that is not one.
        let stray = try await publisher.publish(Topics.dataExportPart, Self.part(UUID(), user, "loyalty", [:]), userId: user)
        let billing = try await publisher.publish(Topics.dataExportPart, Self.part(id, user, "billing", ["cards": []]), userId: user)
        let malformed = try await publisher.publish(
            Topics.dataExportPart, Self.part(id, user, "loyalty", ["cards": []], chunk: 1, of: 0), userId: user)
        await publisher.shutdown()
        // One partition per customer: once the last is applied, so is everything before it.
        #expect(try await eventually { try await app.hasProcessed(malformed.id) })
        for event in [last.id, stray.id, billing.id] { #expect(try await app.hasProcessed(event)) }
        return id
    }

    @Test func anExportIsReadyOnceEveryContextsPartsAreCollectedOnce() async throws {
        try await withTestServiceAndBroker(ProfilesService.self) { api, app, brokers in
            let user = TestEnvironment.uniqueUser()
            let id = try await collectedExport(api, app, brokers: brokers, user: user)
            let ready = try await export(api, id, as: user)
            #expect(ready.status == .ready && ready.completedAt != nil && ready.expiresAt != nil)
            #expect(ready.parts == Self.allReady)
            #expect(try await app.runtime.database.scalar("SELECT count(*)::int FROM privacy_export_parts WHERE export_id = \(id)") == 4 + 1)
        }
    }

    @Test func theReadyExportsDocumentHoldsEveryPartOnceInOrder() async throws {
        try await withTestServiceAndBroker(ProfilesService.self) { api, app, brokers in
            let user = TestEnvironment.uniqueUser()
            let id = try await collectedExport(api, app, brokers: brokers, user: user)
            let ready = try await export(api, id, as: user)
            let download = try await api.get("/privacy/exports/\(id.lowercasedString)/download", as: user)
            #expect(download.status == .ok)
            #expect(download.headers[.contentType] == "application/json; charset=utf-8")
            #expect(download.headers[.contentDisposition] == #"attachment; filename="lomash-wood-data-\#(id.lowercasedString).json""#)
            let keys = try download.decode([String: JSONValue].self)
            #expect(
                Set(keys.keys) == [
                    "generatedAt", "userId", "profile", "addresses", "notificationPreferences", "portal", "wishlist", "reviews", "tickets",
                    "loyalty", "referrals",
                ])
            #expect(keys["notificationPreferences"] == .null)
            #expect(keys["cards"] == nil)
            let document = try download.decode(ExportDocument.self)
            #expect(document.userId == user && document.generatedAt == ready.completedAt)
            #expect(document.profile.firstName == "Ada")
            #expect(document.addresses.map(\.postcode) == ["LS1 4AP"])
            let portal = document.portal
            #expect(portal.orders.count == 0 && portal.appointments.count == 0 && portal.brochureRequests.count == 0)
            // The chunks in order, each once.
            #expect(document.tickets.map(\.subject) == ["First", "Second"])
            #expect(document.loyalty.account.points == 120)
        }
    }

    /// The list shows it, newest first; a new request now starts another export.
    @Test func aReadyExportIsListedAndANewRequestStartsAnother() async throws {
        try await withTestServiceAndBroker(ProfilesService.self) { api, app, brokers in
            let user = TestEnvironment.uniqueUser()
            let id = try await collectedExport(api, app, brokers: brokers, user: user)
            let list = try await api.get("/privacy/exports", as: user)
            #expect(try list.data([PrivacyRequest].self).map(\.id) == [id])
            #expect(try list.meta().total == 1)
            let next = try await api.post("/privacy/exports", as: user)
            #expect(next.status == .accepted)
            #expect(try next.data(PrivacyRequest.self).id != id)
        }
    }

    // MARK: A context that does not answer

    /// An export that engagement and support answered and loyalty did not; returns once
    /// profiles shows their parts.
    func exportWithoutLoyalty(_ api: API, brokers: String, user: String) async throws -> UUID {
        let id = try await requestExport(api, as: user).id
        let publisher = try TestPublisher(brokers: brokers)
        for context in ["engagement", "support"] {
            try await publisher.publish(Topics.dataExportPart, Self.part(id, user, context, [:]), userId: user, source: context)
        }
        await publisher.shutdown()
        #expect(try await eventually(timeout: .seconds(30)) { try await export(api, id, as: user).parts == Self.allButLoyalty })
        return id
    }

    /// The timeout passes (the request is made older rather than the test slower).
    func passTheTimeout(_ app: ServiceApp, _ id: UUID) async throws {
        try await app.runtime.database.query("UPDATE privacy_requests SET requested_at = requested_at - interval '61 seconds' WHERE id = \(id)")
    }

    static let sixtySeconds = ["PRIVACY_EXPORT_TIMEOUT_SECONDS": "60"]

    @Test func aContextThatDoesNotAnswerInTimeFailsTheExport() async throws {
        try await withTestServiceAndBroker(ProfilesService.self, overrides: Self.sixtySeconds) { api, app, brokers in
            let user = TestEnvironment.uniqueUser()
            let id = try await exportWithoutLoyalty(api, brokers: brokers, user: user)
            #expect(try await export(api, id, as: user).status == .pending)
            try await passTheTimeout(app, id)
            let failed = try await export(api, id, as: user)
            #expect(failed.status == .failed)
            #expect(failed.parts == Self.allButLoyalty)
            #expect(failed.completedAt != nil && failed.expiresAt == nil)
            let download = try await api.get("/privacy/exports/\(id.lowercasedString)/download", as: user)
            #expect(download.status == .conflict && download.errorCode == "INVALID_STATE")
            // What had arrived is not kept.
            #expect(try await app.runtime.database.scalar("SELECT count(*)::int FROM privacy_export_parts WHERE export_id = \(id)") == 0)
        }
    }

    /// A late part changes nothing; a new request may be made.
    @Test func aPartAfterTheExportFailedChangesNothing() async throws {
        try await withTestServiceAndBroker(ProfilesService.self, overrides: Self.sixtySeconds) { api, app, brokers in
            let user = TestEnvironment.uniqueUser()
            let id = try await exportWithoutLoyalty(api, brokers: brokers, user: user)
            try await passTheTimeout(app, id)
            #expect(try await export(api, id, as: user).status == .failed)
            let late = try TestPublisher(brokers: brokers)
            let event = try await late.publish(Topics.dataExportPart, Self.part(id, user, "loyalty", [:]), userId: user, source: "loyalty")
            await late.shutdown()
            #expect(try await eventually { try await app.hasProcessed(event.id) })
            #expect(try await export(api, id, as: user).status == .failed)
            #expect(try await app.runtime.database.scalar("SELECT count(*)::int FROM privacy_export_parts WHERE export_id = \(id)") == 0)
            #expect(try await api.post("/privacy/exports", as: user).status == .accepted)
        }
    }

    /// The job fails exports nobody reads again; a dry run only counts them.
    @Test func theJobFailsOverdueExportsNobodyReads() async throws {
        try await withTestService(ProfilesService.self, overrides: Self.sixtySeconds) { api, app in
            let database = app.runtime.database
            let quiet = TestEnvironment.uniqueUser()
            _ = try await api.post("/privacy/exports", as: quiet)
            try await database.query("UPDATE privacy_requests SET requested_at = requested_at - interval '61 seconds' WHERE user_id = \(quiet)")
            let job = try #require(app.jobs.first { $0.name == "expire-privacy-exports" })
            let runner = JobRunner(runtime: app.runtime)
            guard case .succeeded(let dry) = try await runner.run(job, dryRun: true, now: Date()),
                case .succeeded(let outcome) = try await runner.run(job, dryRun: false, now: Date())
            else {
                Issue.record("the job failed")
                return
            }
            #expect((dry.counts["wouldFail"] ?? 0) >= 1 && (outcome.counts["failed"] ?? 0) >= 1)
            #expect(
                try await database.scalar(
                    "SELECT count(*)::int FROM privacy_requests WHERE user_id = \(quiet) AND status = 'FAILED'") == 1)
        }
    }

    // MARK: Erasure

    /// A customer with a profile, an address and saved preferences, whose profile is cached.
    func customerWithData(_ api: API, _ user: String) async throws {
        let profile: JSONValue = ["firstName": "Ada", "lastName": "Lovelace", "phone": "07700900123"]
        #expect(try await api.post("/profile", as: user, body: profile).status == .created)
        #expect(
            try await api.post(
                "/addresses", as: user, body: ["line1": "1 Oak Lane", "city": "Leeds", "postcode": "LS1 4AP", "country": "GB"]
            ).status == .created)
        #expect(try await api.put("/notification-preferences", as: user, body: ["newsletter": true]).status == .ok)
        #expect(try await api.get("/profile", as: user).status == .ok)  // cached now
    }

    func published(_ app: ServiceApp, _ user: String, _ topic: String) async throws -> Int {
        try await app.runtime.database.scalar("SELECT count(*)::int FROM outbox WHERE key = \(user) AND topic = \(topic)")
    }

    @Test func erasureDeletesTheCustomersDataAndPublishesIt() async throws {
        try await withTestService(ProfilesService.self) { api, app in
            let user = TestEnvironment.uniqueUser()
            let database = app.runtime.database
            try await customerWithData(api, user)
            let erased = try await api.post("/privacy/erasure", as: user)
            #expect(erased.status == .accepted)
            let accepted = try erased.data(ErasureAnswer.self)
            #expect(accepted.userId == user && accepted.status == "ACCEPTED")
            #expect(try await api.get("/profile", as: user).status == .notFound)
            #expect(try await api.get("/addresses", as: user).data([Address].self).isEmpty)
            #expect(try await database.scalar("SELECT count(*)::int FROM notification_preferences WHERE user_id = \(user)") == 0)
            #expect(try await database.scalar("SELECT count(*)::int FROM customer_index WHERE user_id = \(user)") == 0)
            #expect(try await published(app, user, "customer.erasure.requested") == 1)
            #expect(try await published(app, user, "customer.profile.anonymized") == 1)
            #expect(
                try await database.scalar(
                    """
                    SELECT count(*)::int FROM outbox WHERE key = \(user) AND topic = 'customer.erasure.requested'
                      AND value::jsonb #>> '{payload,requestedBy}' = \(user)
                    """) == 1)
        }
    }

    /// Again: 202, and nothing more happens.
    @Test func aRepeatedErasureIsAcceptedAndDoesNothingMore() async throws {
        try await withTestService(ProfilesService.self) { api, app in
            let user = TestEnvironment.uniqueUser()
            try await customerWithData(api, user)
            #expect(try await api.post("/privacy/erasure", as: user).status == .accepted)
            #expect(try await api.post("/privacy/erasure", as: user).status == .accepted)
            #expect(try await published(app, user, "customer.erasure.requested") == 1)
            #expect(try await published(app, user, "customer.profile.anonymized") == 1)
        }
    }

    /// The auth-service's event, replayed by sync-customer-data, does not bring it back.
    @Test func aReplayedSignUpDoesNotBringAnErasedProfileBack() async throws {
        try await withTestService(ProfilesService.self) { api, app in
            let user = TestEnvironment.uniqueUser()
            try await customerWithData(api, user)
            #expect(try await api.post("/privacy/erasure", as: user).status == .accepted)
            let registered = UserCreated(
                userId: user, email: "ada@example.com", firstName: "Ada", lastName: "Lovelace",
                registeredAt: Date().addingTimeInterval(-86_400))
            let recreated = try await app.runtime.database.transaction { connection in
                try await ProfileStore.createIfMissing(registered, correlationId: "replay", runtime: app.runtime, on: connection)
            }
            #expect(recreated == false)
            #expect(try await api.get("/profile", as: user).status == .notFound)
        }
    }

    /// The token still works: a new profile starts afresh, and can be erased in turn.
    @Test func aNewProfileAfterAnErasureStartsAfreshAndCanBeErasedInTurn() async throws {
        try await withTestService(ProfilesService.self) { api, app in
            let user = TestEnvironment.uniqueUser()
            try await customerWithData(api, user)
            #expect(try await api.post("/privacy/erasure", as: user).status == .accepted)
            let fresh = try await api.post("/profile", as: user, body: ["firstName": "Ada", "lastName": "King"])
            #expect(fresh.status == .created)
            #expect(try fresh.data(Profile.self).phone == nil)
            #expect(try await api.post("/privacy/erasure", as: user).status == .accepted)
            #expect(try await published(app, user, "customer.profile.anonymized") == 2)
        }
    }

    /// Customers and agents may not ask on a customer's behalf.
    @Test func onlyAdminsMayAskForACustomer() async throws {
        try await withTestService(ProfilesService.self) { (api, _) async throws in
            let user = TestEnvironment.uniqueUser()
            #expect(try await api.post("/admin/customers/\(user)/erasure", as: user).status == .forbidden)
            #expect(try await api.post("/admin/customers/\(user)/exports", as: "agent-1", role: .agent).status == .forbidden)
            #expect(try await api.get("/admin/customers/\(user)/exports", as: user).status == .forbidden)
        }
    }

    /// Admins: the same for a customer, and the audit of every request, newest first. The
    /// customer's own list shows exports only, and the audit holds no personal data.
    @Test func adminsMayEraseAndExportForACustomerAndReadTheAudit() async throws {
        try await withTestService(ProfilesService.self) { api, _ in
            let user = TestEnvironment.uniqueUser()
            try await customerWithData(api, user)
            #expect(try await api.post("/privacy/erasure", as: user).status == .accepted)
            #expect(try await api.post("/privacy/erasure", as: user).status == .accepted)
            #expect(try await api.post("/profile", as: user, body: ["firstName": "Ada", "lastName": "King"]).status == .created)
            #expect(try await api.post("/privacy/erasure", as: user).status == .accepted)

            #expect(try await api.post("/admin/customers/\(user)/erasure", as: "admin-1", role: .admin).status == .accepted)
            let requested = try await api.post("/admin/customers/\(user)/exports", as: "admin-1", role: .admin)
            #expect(requested.status == .accepted)
            let export = try requested.data(PrivacyRequest.self)
            #expect(export.userId == user && export.requestedBy == "admin-1")
            let audit = try await api.get("/admin/customers/\(user)/exports", as: "admin-1", role: .admin)
            #expect(audit.status == .ok)
            #expect(try audit.meta().total == 5)
            #expect(
                try audit.data([PrivacyRequest].self).map { "\($0.kind.rawValue):\($0.status.rawValue):\($0.requestedBy)" } == [
                    "EXPORT:PENDING:admin-1", "ERASURE:ALREADY_ERASED:admin-1", "ERASURE:ERASED:\(user)", "ERASURE:ALREADY_ERASED:\(user)",
                    "ERASURE:ERASED:\(user)",
                ])
            #expect(try await api.get("/privacy/exports", as: user).data([PrivacyRequest].self).count == 1)
        }
    }
}
