import Contracts
import Foundation
import ServiceKit
import TestSupport
import Testing

@testable import engagement

/// CONTRACT §13, erasure wins over export, in one context and in the order Kafka may deliver
/// it: the export request (naming the anonymisation) before `customer.profile.anonymized`.
@Suite(.needsTestServers) struct ExportAfterErasureTests {
    /// The part this context sent for `exportId`, among the `count` parts on the broker so far.
    static func part(_ exportId: UUID, among count: Int, brokers: String) async throws -> JSONValue {
        let messages = try await collect(count, from: Topics.dataExportPart.name, brokers: brokers)
        let parts = try messages.map { try JSONCoding.decoder.decode(EventEnvelope<DataExportPart>.self, from: Data($0.value)).payload }
        return try #require(parts.first { $0.exportId == exportId }?.part, "\(parts.map(\.exportId))")
    }

    static func text(_ value: JSONValue) throws -> String {
        try JSONCoding.string(value)
    }

    static func clearedEvents(_ user: String, _ app: ServiceApp) async throws -> Int {
        try await app.runtime.database.scalar(
            """
            SELECT count(*)::int FROM outbox WHERE topic = 'customer.wishlist.updated' AND key = \(user) AND value LIKE '%"cleared"%'
            """)
    }

    @Test func anExportNamingAnUnseenAnonymisationAppliesItFirstAndOnlyOnce() async throws {
        try await withTestServiceAndBroker(EngagementService.self) { api, app, brokers in
            let user = TestEnvironment.uniqueUser()
            let bystander = TestEnvironment.uniqueUser()
            let product = "oak-\(UUID().uuidString.prefix(8))"
            for customer in [user, bystander] {
                #expect(
                    try await api.post(
                        "/wishlist/items", as: customer,
                        body: [
                            "productId": .string(product), "category": "KITCHEN", "notes": "secret note",
                        ]
                    ).status == .created)
            }
            #expect(
                try await api.post(
                    "/reviews", as: user,
                    body: [
                        "productId": .string(product), "rating": 5, "title": "Great", "body": "Exactly as pictured.",
                    ]
                ).status == .created)
            let publisher = try TestPublisher(brokers: brokers)
            let named = try await publisher.publishName("Oliver", "Green", of: user, changedFields: ["firstName"])
            #expect(try await eventually { try await app.hasProcessed(named.id) })

            // The request arrives first: the anonymisation is applied, then the part is read.
            let anonymizedAt = Date()
            let first = DataExportRequested(exportId: UUID(), userId: user, requestedAt: Date(), anonymizedAt: anonymizedAt)
            let request = try await publisher.publish(Topics.dataExportRequested, first, userId: user, source: "profiles")
            #expect(try await eventually { try await app.hasProcessed(request.id) })
            let part = try await Self.part(first.exportId, among: 1, brokers: brokers)
            guard case .object(let fields) = part else { throw TestFailure("part is not an object: \(part)") }
            #expect(fields["wishlist"] == .null)
            #expect(try Self.text(part).contains(#""reviewerName":"Customer""#))
            #expect(try !Self.text(part).contains("secret note") && !Self.text(part).contains("Oliver"))
            #expect(try await Self.clearedEvents(user, app) == 1)

            // The anonymisation's own event, arriving later, changes nothing more.
            let late = try await publisher.publish(
                Topics.profileAnonymized, ProfileAnonymized(userId: user, anonymizedAt: anonymizedAt),
                userId: user, source: "profiles")
            #expect(try await eventually { try await app.hasProcessed(late.id) })
            #expect(try await Self.clearedEvents(user, app) == 1)

            // The customer comes back; an export naming the old anonymisation keeps what is new.
            #expect(try await api.post("/wishlist/items", as: user, body: ["productId": "new-\(product)", "category": "BEDROOM"]).status == .created)
            let second = DataExportRequested(exportId: UUID(), userId: user, requestedAt: Date(), anonymizedAt: anonymizedAt)
            try await publisher.publish(Topics.dataExportRequested, second, userId: user, source: "profiles")
            let kept = try Self.text(await Self.part(second.exportId, among: 2, brokers: brokers))
            #expect(kept.contains("new-\(product)") && kept.contains(#""itemCount":1"#))

            // An anonymisation from before this context recorded them was applied then: an export
            // naming it does not apply it again.
            let old = DataExportRequested(
                exportId: UUID(), userId: bystander, requestedAt: Date(), anonymizedAt: Date(timeIntervalSince1970: 1_600_000_000))
            try await publisher.publish(Topics.dataExportRequested, old, userId: bystander, source: "profiles")
            #expect(try Self.text(await Self.part(old.exportId, among: 3, brokers: brokers)).contains("secret note"))
            #expect(try await api.get("/wishlist", as: bystander).data(Wishlist.self).itemCount == 1)
            await publisher.shutdown()
        }
    }
}
