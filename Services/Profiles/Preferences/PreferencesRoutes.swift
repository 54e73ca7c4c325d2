#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HTTPKit

/// `/notification-preferences` (CONTRACT §4).
struct PreferencesRoutes {
    let store: PreferencesStore

    func register(on routes: RouterGroup<AppContext>) {
        routes.get("/notification-preferences") { _, context in
            Reply.ok(try await store.find(try context.customer().userId) ?? .defaults)
        }

        routes.put("/notification-preferences") { request, context in
            let principal = try context.customer()
            let body = try await JSONBody(request, context: context)
            return Reply.ok(try await store.save(principal.userId, correlationId: context.requestId) { current in
                try NotificationPreferences.read(body, over: current, replacing: true)
            })
        }

        routes.patch("/notification-preferences") { request, context in
            let principal = try context.customer()
            let body = try await JSONBody(request, context: context)
            return Reply.ok(try await store.save(principal.userId, correlationId: context.requestId) { current in
                try NotificationPreferences.read(body, over: current, replacing: false)
            })
        }

        routes.post("/notification-preferences/opt-out") { request, context in
            let principal = try context.customer()
            var body = try await JSONBody(request, context: context)
            let optOut = body.optional("channel", .oneOf(NotificationPreferences.OptOut.self)) ?? .ALL_MARKETING
            try body.finish()
            return Reply.ok(try await store.save(principal.userId, correlationId: context.requestId) { current in
                var next = current
                for flag in optOut.clears { next.values[flag] = false }
                next.optedOutAt = Date()
                return next
            })
        }
    }
}
