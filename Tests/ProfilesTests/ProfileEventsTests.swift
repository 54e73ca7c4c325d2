import Contracts
import EventBus
import Foundation
import HummingbirdTesting
@testable import profiles
import Testing
import TestSupport

/// Through a Kafka of the test's own (an in-process mock cluster).
@Suite struct ProfileEventsTests {
    @Test func userCreatedMakesAProfileOnceAndItIsPublished() async throws {
        try await withTestServiceAndBroker(ProfilesService.self) { client, app, brokers in
            let user = TestEnvironment.uniqueUser()
            let created = UserCreated(userId: user, email: "New.User@Example.com", firstName: "New", lastName: "User", registeredAt: Date())
            let id = UUID()
            let publisher = try TestPublisher(brokers: brokers)
            try await publisher.publish(Topics.userCreated, created, userId: user, id: id, source: "auth", times: 2)
            await publisher.shutdown()

            let token = try await TestEnvironment.token(user)
            var profile: [String: Any] = [:]
            for _ in 0..<200 where profile.isEmpty {
                profile = try await client.execute(uri: "/v1/customers/profile", method: .get, headers: bearer(token)) { r in
                    r.status == .ok ? (try r.json()["data"] as? [String: Any] ?? [:]) : [:]
                }
                if profile.isEmpty { try await Task.sleep(for: .milliseconds(50)) }
            }
            #expect(profile["firstName"] as? String == "New" && profile["email"] as? String == "new.user@example.com")
            // POST on a profile made from the auth event is still a 409: clients PATCH it.
            try await client.execute(
                uri: "/v1/customers/profile", method: .post, headers: bearer(token, jsonHeaders), body: jsonBody(#"{"firstName":"A","lastName":"B"}"#)
            ) { (r: TestResponse) async throws in
                #expect(r.status == .conflict)
            }
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await app.runtime.database.scalar("SELECT count(*)::int FROM profiles WHERE user_id = \(user)") == 1)
            #expect(try await app.runtime.database.scalar("SELECT count(*)::int FROM processed_events WHERE event_id = \(id)") == 1)

            // The profile's creation is on customer.profile.updated, in the envelope.
            var found: EventEnvelope<ProfileUpdated>?
            let reader = try KafkaConsumer(
                KafkaConfiguration(brokers: brokers, clientId: "reader", groupId: "reader-\(UUID().uuidString.prefix(6))"),
                topics: [Topics.profileUpdated.name], logger: TestEnvironment.quietLogger)
            let deadline = ContinuousClock.now + .seconds(20)
            let watchdog = Task { try? await Task.sleep(until: deadline); reader.stopPolling() }
            for await batch in reader.batches {
                found = batch.compactMap { try? JSONCoding.decoder.decode(EventEnvelope<ProfileUpdated>.self, from: Data($0.value)) }
                    .first { $0.userId == user }
                reader.done(batch)
                if found != nil { break }
            }
            watchdog.cancel()
            await reader.close()
            let event = try #require(found)
            #expect(event.source == "profiles" && event.correlationId == id.lowercasedString)
            #expect(event.payload.action == .created && event.payload.firstName == "New" && event.payload.email == "new.user@example.com")
        }
    }
}
