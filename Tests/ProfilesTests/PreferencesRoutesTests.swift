import Foundation
import Hummingbird
import HummingbirdTesting
@testable import profiles
import Testing
import TestSupport

@Suite struct PreferencesRoutesTests {
    func send(_ client: any TestClientProtocol, _ token: String, _ method: HTTPRequest.Method, _ path: String = "", _ body: String = "") async throws -> (HTTPResponse.Status, [String: Any]) {
        try await client.execute(uri: "/v1/customers/notification-preferences" + path, method: method, headers: bearer(token, jsonHeaders), body: body.isEmpty ? nil : jsonBody(body)) { r in
            (r.status, (try? r.json()["data"] as? [String: Any]) ?? [:])
        }
    }

    @Test func defaultsPutResetsPatchChangesAndOptOuts() async throws {
        try await withTestService(ProfilesService.self) { client, app in
            let user = TestEnvironment.uniqueUser()
            let token = try await TestEnvironment.token(user)
            let (_, defaults) = try await send(client, token, .get)
            #expect(defaults["emailMarketing"] as? Bool == false && defaults["orderUpdates"] as? Bool == true)
            #expect(defaults["preferredChannel"] as? String == "EMAIL" && defaults["optedOutAt"] is NSNull)
            #expect(try await app.runtime.database.scalar("SELECT count(*)::int FROM notification_preferences WHERE user_id = \(user)") == 0)

            let (_, patched) = try await send(client, token, .patch, "", #"{"emailMarketing":true,"newsletter":true,"preferredChannel":"SMS"}"#)
            #expect(patched["emailMarketing"] as? Bool == true && patched["newsletter"] as? Bool == true && patched["preferredChannel"] as? String == "SMS")
            // PUT replaces everything: what is not sent returns to its default.
            let (_, put) = try await send(client, token, .put, "", #"{"smsMarketing":true}"#)
            #expect(put["smsMarketing"] as? Bool == true && put["emailMarketing"] as? Bool == false && put["newsletter"] as? Bool == false)
            #expect(put["preferredChannel"] as? String == "EMAIL")

            let (bad, _) = try await send(client, token, .patch, "", #"{"carrierPigeon":true}"#)
            #expect(bad == .unprocessableContent)
            let (badChannel, _) = try await send(client, token, .patch, "", #"{"preferredChannel":"FAX"}"#)
            #expect(badChannel == .unprocessableContent)

            _ = try await send(client, token, .patch, "", #"{"emailMarketing":true,"pushMarketing":true,"promotionalOffers":true}"#)
            let (_, sms) = try await send(client, token, .post, "/opt-out", #"{"channel":"SMS"}"#)
            #expect(sms["smsMarketing"] as? Bool == false && sms["emailMarketing"] as? Bool == true && sms["optedOutAt"] is String)
            let (_, marketing) = try await send(client, token, .post, "/opt-out")
            #expect(NotificationPreferences.marketingFlags.allSatisfy { marketing[$0] as? Bool == false })
            #expect(marketing["orderUpdates"] as? Bool == true)
            let (_, all) = try await send(client, token, .post, "/opt-out", #"{"channel":"ALL"}"#)
            #expect(NotificationPreferences.flags.allSatisfy { all[$0] as? Bool == false })

            // Every save published its event.
            #expect(try await app.runtime.database.scalar("SELECT count(*)::int FROM outbox WHERE key = \(user) AND topic = 'customer.notification_preferences.updated'") == 6)
        }
    }
}
