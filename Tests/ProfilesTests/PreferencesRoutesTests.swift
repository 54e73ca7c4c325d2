import Contracts
import Foundation
import Hummingbird
import TestSupport
import Testing

@testable import profiles

/// `NotificationPreferences` as the contract shows it: every flag a boolean of its own, the
/// channel, and `optedOutAt` (which must be there, null until an opt-out). The production type
/// writes this shape by hand and has no decoder for it.
struct Preferences: Decodable {
    let flags: [String: Bool]
    let preferredChannel: NotificationPreferences.Channel
    let optedOutAt: Date?

    subscript(flag: String) -> Bool? { flags[flag] }

    init(from decoder: any Decoder) throws {
        let object = try decoder.container(keyedBy: NotificationPreferences.Key.self)
        var flags: [String: Bool] = [:]
        for flag in NotificationPreferences.flags { flags[flag] = try object.decode(Bool.self, forKey: .init(flag)) }
        self.flags = flags
        preferredChannel = try object.decode(NotificationPreferences.Channel.self, forKey: .init("preferredChannel"))
        // `decode(Date?.self, …)` throws when the key is missing: null is what is expected.
        optedOutAt = try object.decode(Date?.self, forKey: .init("optedOutAt"))
    }
}

@Suite(.needsTestServers) struct PreferencesRoutesTests {
    static let path = "/notification-preferences"

    @Test func theDefaultsAreShownWithoutBeingStored() async throws {
        try await withTestService(ProfilesService.self) { api, app in
            let user = TestEnvironment.uniqueUser()
            let defaults = try await api.get(Self.path, as: user).data(Preferences.self)
            #expect(defaults["emailMarketing"] == false && defaults["orderUpdates"] == true)
            #expect(defaults.preferredChannel == .email && defaults.optedOutAt == nil)
            #expect(try await app.runtime.database.scalar("SELECT count(*)::int FROM notification_preferences WHERE user_id = \(user)") == 0)
        }
    }

    @Test func patchChangesTheFieldsSent() async throws {
        try await withTestService(ProfilesService.self) { api, _ in
            let patched = try await api.patch(
                Self.path, as: TestEnvironment.uniqueUser(), body: ["emailMarketing": true, "newsletter": true, "preferredChannel": "SMS"]
            ).data(Preferences.self)
            #expect(patched["emailMarketing"] == true && patched["newsletter"] == true && patched.preferredChannel == .sms)
        }
    }

    /// PUT replaces everything: what is not sent returns to its default.
    @Test func putReturnsWhatIsNotSentToItsDefault() async throws {
        try await withTestService(ProfilesService.self) { api, _ in
            let user = TestEnvironment.uniqueUser()
            _ = try await api.patch(Self.path, as: user, body: ["emailMarketing": true, "newsletter": true, "preferredChannel": "SMS"])
            let put = try await api.put(Self.path, as: user, body: ["smsMarketing": true]).data(Preferences.self)
            #expect(put["smsMarketing"] == true && put["emailMarketing"] == false && put["newsletter"] == false)
            #expect(put.preferredChannel == .email)
        }
    }

    @Test func anUnknownFlagOrChannelIsRefused() async throws {
        try await withTestService(ProfilesService.self) { (api, _) async throws in
            let user = TestEnvironment.uniqueUser()
            #expect(try await api.patch(Self.path, as: user, body: ["carrierPigeon": true]).status == .unprocessableContent)
            #expect(try await api.patch(Self.path, as: user, body: ["preferredChannel": "FAX"]).status == .unprocessableContent)
        }
    }

    @Test func optingOutOfAChannelClearsItsFlagOnlyAndStampsTheTime() async throws {
        try await withTestService(ProfilesService.self) { api, _ in
            let user = TestEnvironment.uniqueUser()
            _ = try await api.patch(Self.path, as: user, body: ["smsMarketing": true, "emailMarketing": true, "pushMarketing": true])
            let sms = try await api.post(Self.path + "/opt-out", as: user, body: ["channel": "SMS"]).data(Preferences.self)
            #expect(sms["smsMarketing"] == false && sms["emailMarketing"] == true && sms.optedOutAt != nil)
        }
    }

    @Test func optingOutWithoutAChannelClearsEveryMarketingFlag() async throws {
        try await withTestService(ProfilesService.self) { api, _ in
            let user = TestEnvironment.uniqueUser()
            _ = try await api.patch(Self.path, as: user, body: ["emailMarketing": true, "pushMarketing": true, "promotionalOffers": true])
            let marketing = try await api.post(Self.path + "/opt-out", as: user).data(Preferences.self)
            #expect(NotificationPreferences.marketingFlags.allSatisfy { marketing[$0] == false })
            #expect(marketing["orderUpdates"] == true)
        }
    }

    @Test func optingOutOfAllClearsEveryFlag() async throws {
        try await withTestService(ProfilesService.self) { api, _ in
            let user = TestEnvironment.uniqueUser()
            _ = try await api.patch(Self.path, as: user, body: ["emailMarketing": true, "pushMarketing": true, "promotionalOffers": true])
            let all = try await api.post(Self.path + "/opt-out", as: user, body: ["channel": "ALL"]).data(Preferences.self)
            #expect(NotificationPreferences.flags.allSatisfy { all[$0] == false })
        }
    }

    /// Every save published its event; a refused change is no save.
    @Test func everySaveIsPublished() async throws {
        try await withTestService(ProfilesService.self) { api, app in
            let user = TestEnvironment.uniqueUser()
            _ = try await api.get(Self.path, as: user)
            _ = try await api.patch(Self.path, as: user, body: ["emailMarketing": true, "newsletter": true, "preferredChannel": "SMS"])
            _ = try await api.put(Self.path, as: user, body: ["smsMarketing": true])
            _ = try await api.patch(Self.path, as: user, body: ["carrierPigeon": true])
            _ = try await api.patch(Self.path, as: user, body: ["preferredChannel": "FAX"])
            _ = try await api.patch(Self.path, as: user, body: ["emailMarketing": true, "pushMarketing": true, "promotionalOffers": true])
            _ = try await api.post(Self.path + "/opt-out", as: user, body: ["channel": "SMS"])
            _ = try await api.post(Self.path + "/opt-out", as: user)
            _ = try await api.post(Self.path + "/opt-out", as: user, body: ["channel": "ALL"])
            #expect(
                try await app.runtime.database.scalar(
                    """
                    SELECT count(*)::int FROM outbox WHERE key = \(user) AND topic = 'customer.notification_preferences.updated'
                    """) == 6)
        }
    }
}
