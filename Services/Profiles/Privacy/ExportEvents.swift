import Contracts
import Domain
import EventBus
import ServiceKit

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Profiles' side of the export saga (CONTRACT §13): it answers `customer.data_export.requested`
/// with its own part, as every context does, and collects everyone's parts.
enum ExportEvents {
    static func register(
        on handlers: inout EventHandlers, runtime: Runtime, privacy: PrivacyStore, profiles: ProfileStore,
        addresses: AddressStore, preferences: PreferencesStore, portal: PortalStore
    ) {
        handlers.answerExports(outbox: runtime.outbox, logger: runtime.logger) { userId, _ in
            let (orders, _) = try await portal.orders(userId, .everything)
            let (appointments, _) = try await portal.appointments(userId, .everything)
            let (brochureRequests, _) = try await portal.brochureRequests(userId, .everything)
            return JSONValue.object([
                "profile": try await profiles.find(userId).map(JSONValue.init(encoding:)) ?? .null,
                "addresses": try JSONValue(encoding: try await addresses.list(userId)),
                "notificationPreferences": try await preferences.find(userId).map(JSONValue.init(encoding:)) ?? .null,
                "portal": .object([
                    "orders": try JSONValue(encoding: orders),
                    "appointments": try JSONValue(encoding: appointments),
                    "brochureRequests": try JSONValue(encoding: brochureRequests),
                ]),
            ])
        }
        handlers.on(Topics.dataExportPart) { event, connection in
            try await privacy.collect(event.payload, on: connection)
        }
    }
}
