import Contracts
import Foundation
import Hummingbird
import PostgresNIO
import TestSupport
import Testing

@testable import profiles

@Suite(.needsTestServers) struct ProfileRoutesTests {
    static let ada: JSONValue = [
        "firstName": " Ada ", "lastName": "Lovelace", "phone": "+44 20 7946 0958", "dateOfBirth": "1990-02-28", "marketingConsent": true,
    ]

    /// Creates Ada's profile for `user`.
    func createAda(_ api: API, _ user: String) async throws {
        #expect(try await api.post("/profile", as: user, body: Self.ada).status == .created)
    }

    @Test func creatingAProfileTrimsItAndTakesTheEmailFromTheToken() async throws {
        try await withTestService(ProfilesService.self) { api, _ in
            let user = TestEnvironment.uniqueUser()
            let token = try await TestEnvironment.token(user, email: "Token.Email@example.com")
            let created = try await api.post("/profile", as: nil, body: Self.ada, headers: [.authorization: "Bearer \(token)"])
            #expect(created.status == .created)
            let p = try created.data(Profile.self)
            #expect(p.userId == user)
            #expect(p.firstName == "Ada")
            #expect(p.email == "token.email@example.com")
            #expect(p.dateOfBirth == "1990-02-28")
            #expect(p.marketingConsent == true)
            #expect(p.marketingConsentDate != nil)
            #expect(p.avatarUrl == nil)
            #expect(p.preferredLanguage == "en" && p.preferredCurrency == "GBP")
            #expect(p.isVerified == false)
        }
    }

    @Test func aSecondProfileIsAConflict() async throws {
        try await withTestService(ProfilesService.self) { api, _ in
            let user = TestEnvironment.uniqueUser()
            try await createAda(api, user)
            #expect(try await api.post("/profile", as: user, body: ["firstName": "Ada", "lastName": "Again"]).status == .conflict)
        }
    }

    @Test func anUpdateChangesTheFieldsSentAndNullClearsOne() async throws {
        try await withTestService(ProfilesService.self) { api, _ in
            let user = TestEnvironment.uniqueUser()
            try await createAda(api, user)
            let patched = try await api.patch("/profile", as: user, body: ["lastName": "King", "phone": nil, "preferredLanguage": "fr"])
            #expect(patched.status == .ok)
            let p = try patched.data(Profile.self)
            #expect(p.lastName == "King" && p.firstName == "Ada")
            #expect(p.phone == nil)
            #expect(p.preferredLanguage == "fr")
        }
    }

    /// Read (and cache), then change: the next read shows the change.
    @Test func aReadAfterAnUpdateShowsTheChange() async throws {
        try await withTestService(ProfilesService.self) { api, _ in
            let user = TestEnvironment.uniqueUser()
            try await createAda(api, user)
            #expect(try await api.get("/profile", as: user).data(Profile.self).lastName == "Lovelace")
            _ = try await api.patch("/profile", as: user, body: ["lastName": "King", "phone": nil, "preferredLanguage": "fr"]).data(Profile.self)
            #expect(try await api.get("/profile", as: user).data(Profile.self).lastName == "King")
        }
    }

    /// Each write is one event in the outbox, with the fields that changed.
    @Test func eachWriteIsOneEventNamingTheFieldsThatChanged() async throws {
        try await withTestService(ProfilesService.self) { api, app in
            let user = TestEnvironment.uniqueUser()
            try await createAda(api, user)
            _ = try await api.patch("/profile", as: user, body: ["lastName": "King", "phone": nil, "preferredLanguage": "fr"]).data(Profile.self)
            let rows = try await app.runtime.database.query("SELECT value FROM outbox WHERE key = \(user) ORDER BY seq")
            var events: [EventEnvelope<ProfileUpdated>] = []
            for try await value in rows.decode(String.self) {
                events.append(try JSONCoding.decoder.decode(EventEnvelope<ProfileUpdated>.self, from: Data(value.utf8)))
            }
            #expect(events.map(\.payload.action) == [.created, .updated])
            #expect(events.last?.payload.changedFields == ["lastName", "phone", "preferredLanguage"])
            #expect(events.last?.type == "customer.profile.updated" && events.last?.source == "profiles")
        }
    }

    @Test func validationListsEveryField() async throws {
        try await withTestService(ProfilesService.self) { api, _ in
            let refused = try await api.post(
                "/profile", as: TestEnvironment.uniqueUser(),
                body: [
                    "lastName": "", "email": "nope", "phone": "12-34", "dateOfBirth": "2015-01-01", "avatarUrl": "http://x.test/a.png",
                    "marketingConsent": "yes", "preferredLanguage": "eng", "preferredCurrency": "gbp", "nickname": "x",
                ])
            #expect(refused.status == .unprocessableContent)
            let details = refused.errorDetails
            #expect(
                Set(details.keys) == [
                    "firstName", "lastName", "email", "phone", "dateOfBirth", "avatarUrl", "marketingConsent",
                    "preferredLanguage", "preferredCurrency", "nickname",
                ])
            #expect(details["dateOfBirth"] == "dateOfBirth must be at least 16 years ago")
        }
    }

    @Test(arguments: [
        ("2001-02-29", "must be a real date (YYYY-MM-DD)"), ("2999-01-01", "must be in the past"), ("01/02/1990", "must be a date (YYYY-MM-DD)"),
    ])
    func aDateOfBirthMustBeARealDateInThePast(dateOfBirth: String, message: String) async throws {
        try await withTestService(ProfilesService.self) { api, _ in
            let refused = try await api.post(
                "/profile", as: TestEnvironment.uniqueUser(), body: ["firstName": "A", "lastName": "B", "dateOfBirth": .string(dateOfBirth)])
            #expect(refused.errorDetails["dateOfBirth"] == "dateOfBirth \(message)")
        }
    }

    @Test func withoutAProfileReadingAndPatchingAreNotFound() async throws {
        try await withTestService(ProfilesService.self) { (api, _) async throws in
            let user = TestEnvironment.uniqueUser()
            #expect(try await api.get("/profile", as: user).status == .notFound)
            #expect(try await api.patch("/profile", as: user, body: ["firstName": "X"]).status == .notFound)
        }
    }

    @Test func withoutATokenTheProfileIsUnauthorized() async throws {
        try await withTestService(ProfilesService.self) { (api, _) async throws in
            for method in [HTTPRequest.Method.get, .post, .patch] {
                #expect(try await api.send(method, "/profile", as: nil, json: nil).status == .unauthorized)
            }
        }
    }
}
