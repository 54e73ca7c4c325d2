import Contracts
import Foundation
import Hummingbird
import HummingbirdTesting
import PostgresNIO
@testable import profiles
import Testing
import TestSupport

@Suite struct ProfileRoutesTests {
    @Test func createReadUpdateAndConflict() async throws {
        try await withTestService(ProfilesService.self) { client, app in
            let user = TestEnvironment.uniqueUser()
            let token = try await TestEnvironment.token(user, email: "Token.Email@example.com")
            try await client.execute(uri: "/v1/customers/profile", method: .get, headers: bearer(token)) { (r: TestResponse) async throws in
                #expect(r.status == .notFound)
            }
            try await client.execute(
                uri: "/v1/customers/profile", method: .post, headers: bearer(token, jsonHeaders),
                body: jsonBody(#"{"firstName":" Ada ","lastName":"Lovelace","phone":"+44 20 7946 0958","dateOfBirth":"1990-02-28","marketingConsent":true}"#)
            ) { (r: TestResponse) async throws in
                #expect(r.status == .created)
                let p = try #require(r.json()["data"] as? [String: Any])
                #expect(p["userId"] as? String == user)
                #expect(p["firstName"] as? String == "Ada")
                #expect(p["email"] as? String == "token.email@example.com")
                #expect(p["dateOfBirth"] as? String == "1990-02-28")
                #expect(p["marketingConsent"] as? Bool == true)
                #expect(p["marketingConsentDate"] is String)
                #expect(p["avatarUrl"] is NSNull)
                #expect(p["preferredLanguage"] as? String == "en" && p["preferredCurrency"] as? String == "GBP")
                #expect(p["isVerified"] as? Bool == false)
            }
            try await client.execute(
                uri: "/v1/customers/profile", method: .post, headers: bearer(token, jsonHeaders),
                body: jsonBody(#"{"firstName":"Ada","lastName":"Again"}"#)
            ) { (r: TestResponse) async throws in
                #expect(r.status == .conflict)
            }
            // Read (and cache), then change: the next read shows the change.
            try await client.execute(uri: "/v1/customers/profile", method: .get, headers: bearer(token)) { (r: TestResponse) async throws in
                #expect((try r.json()["data"] as? [String: Any])?["lastName"] as? String == "Lovelace")
            }
            try await client.execute(
                uri: "/v1/customers/profile", method: .patch, headers: bearer(token, jsonHeaders),
                body: jsonBody(#"{"lastName":"King","phone":null,"preferredLanguage":"fr"}"#)
            ) { (r: TestResponse) async throws in
                #expect(r.status == .ok)
                let p = try #require(r.json()["data"] as? [String: Any])
                #expect(p["lastName"] as? String == "King" && p["firstName"] as? String == "Ada")
                #expect(p["phone"] is NSNull)
                #expect(p["preferredLanguage"] as? String == "fr")
            }
            try await client.execute(uri: "/v1/customers/profile", method: .get, headers: bearer(token)) { (r: TestResponse) async throws in
                #expect((try r.json()["data"] as? [String: Any])?["lastName"] as? String == "King")
            }
            // Each write is one event in the outbox, with the fields that changed.
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
        try await withTestService(ProfilesService.self) { client, _ in
            let token = try await TestEnvironment.token(TestEnvironment.uniqueUser())
            let body = #"{"lastName":"","email":"nope","phone":"12-34","dateOfBirth":"2015-01-01","avatarUrl":"http://x.test/a.png","marketingConsent":"yes","preferredLanguage":"eng","preferredCurrency":"gbp","nickname":"x"}"#
            try await client.execute(uri: "/v1/customers/profile", method: .post, headers: bearer(token, jsonHeaders), body: jsonBody(body)) { (r: TestResponse) async throws in
                #expect(r.status == .unprocessableContent)
                let details = try r.errorDetails()
                #expect(Set(details.keys) == [
                    "firstName", "lastName", "email", "phone", "dateOfBirth", "avatarUrl", "marketingConsent",
                    "preferredLanguage", "preferredCurrency", "nickname",
                ])
                #expect(details["dateOfBirth"] == "dateOfBirth must be at least 16 years ago")
            }
            for (dob, message) in [("2001-02-29", "must be a real date (YYYY-MM-DD)"), ("2999-01-01", "must be in the past"), ("01/02/1990", "must be a date (YYYY-MM-DD)")] {
                try await client.execute(
                    uri: "/v1/customers/profile", method: .post, headers: bearer(token, jsonHeaders),
                    body: jsonBody(#"{"firstName":"A","lastName":"B","dateOfBirth":"\#(dob)"}"#)
                ) { (r: TestResponse) async throws in
                    #expect(try r.errorDetails()["dateOfBirth"] == "dateOfBirth \(message)")
                }
            }
        }
    }

    @Test func patchWithoutAProfileIs404AndNoTokenIs401() async throws {
        try await withTestService(ProfilesService.self) { client, _ in
            let token = try await TestEnvironment.token(TestEnvironment.uniqueUser())
            try await client.execute(uri: "/v1/customers/profile", method: .patch, headers: bearer(token, jsonHeaders), body: jsonBody(#"{"firstName":"X"}"#)) { (r: TestResponse) async throws in
                #expect(r.status == .notFound)
            }
            for method in [HTTPRequest.Method.get, .post, .patch] {
                try await client.execute(uri: "/v1/customers/profile", method: method) { (r: TestResponse) async throws in
                    #expect(r.status == .unauthorized)
                }
            }
        }
    }
}
