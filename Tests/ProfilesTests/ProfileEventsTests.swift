import Contracts
import EventBus
import Foundation
import Hummingbird
import TestSupport
import Testing

@testable import profiles

/// Through a Kafka of the test's own (an in-process mock cluster).
@Suite(.needsTestServers) struct ProfileEventsTests {
    /// The auth service's `user.created` for a new user, delivered twice with one event id;
    /// returns once the profile it makes can be read.
    func signUp(_ api: API, brokers: String) async throws -> (user: String, eventId: UUID, profile: Profile?) {
        let user = TestEnvironment.uniqueUser()
        let created = UserCreated(userId: user, email: "New.User@Example.com", firstName: "New", lastName: "User", registeredAt: Date())
        let id = UUID()
        let publisher = try TestPublisher(brokers: brokers)
        try await publisher.publish(Topics.userCreated, created, userId: user, id: id, source: "auth", times: 2)
        await publisher.shutdown()

        var profile: Profile?
        for _ in 0..<200 where profile == nil {
            let answer = try await api.get("/profile", as: user)
            if answer.status == .ok { profile = try answer.data(Profile.self) } else { try await Task.sleep(for: .milliseconds(50)) }
        }
        return (user, id, profile)
    }

    @Test func aSignUpMakesAProfileWithTheNormalisedEmail() async throws {
        try await withTestServiceAndBroker(ProfilesService.self) { api, _, brokers in
            let profile = try #require(try await signUp(api, brokers: brokers).profile)
            #expect(profile.firstName == "New" && profile.email == "new.user@example.com")
        }
    }

    /// A redelivered event makes no second profile.
    @Test func aRedeliveredSignUpMakesTheProfileOnce() async throws {
        try await withTestServiceAndBroker(ProfilesService.self) { api, app, brokers in
            let (user, id, _) = try await signUp(api, brokers: brokers)
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await app.runtime.database.scalar("SELECT count(*)::int FROM profiles WHERE user_id = \(user)") == 1)
            #expect(try await app.runtime.database.scalar("SELECT count(*)::int FROM processed_events WHERE event_id = \(id)") == 1)
        }
    }

    /// POST on a profile made from the auth event is still a 409: clients PATCH it.
    @Test func creatingAProfileMadeFromASignUpIsAConflict() async throws {
        try await withTestServiceAndBroker(ProfilesService.self) { api, _, brokers in
            let (user, _, profile) = try await signUp(api, brokers: brokers)
            #expect(profile != nil)
            #expect(try await api.post("/profile", as: user, body: ["firstName": "A", "lastName": "B"]).status == .conflict)
        }
    }

    /// The profile's creation is on customer.profile.updated, in the envelope.
    @Test func theProfileMadeFromASignUpIsPublishedWithTheEventAsItsCorrelation() async throws {
        try await withTestServiceAndBroker(ProfilesService.self) { api, _, brokers in
            let (user, id, _) = try await signUp(api, brokers: brokers)
            var found: EventEnvelope<ProfileUpdated>?
            let reader = try KafkaConsumer(
                KafkaConfiguration(brokers: brokers, clientId: "reader", groupId: "reader-\(UUID().uuidString.prefix(6))"),
                topics: [Topics.profileUpdated.name], logger: TestEnvironment.quietLogger)
            let deadline = ContinuousClock.now + .seconds(20)
            let watchdog = Task {
                try? await Task.sleep(until: deadline)
                reader.stopPolling()
            }
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
