import HTTPKit
import Hummingbird

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `/notification-preferences` (CONTRACT §4).
struct PreferencesController {
    let store: PreferencesStore

    func register(on routes: RouterGroup<AppContext>) {
        routes.group(context: CustomerContext.self)
            .get("/notification-preferences", use: preferences)
            .put("/notification-preferences", use: replace)
            .patch("/notification-preferences", use: update)
            .post("/notification-preferences/opt-out", use: optOut)
    }

    @Sendable func preferences(_ request: Request, context: CustomerContext) async throws -> Reply<NotificationPreferences> {
        Reply.ok(try await store.find(context.caller.userId) ?? .defaults)
    }

    /// Replaces all: omitted fields return to their defaults.
    @Sendable func replace(_ request: Request, context: CustomerContext) async throws -> Reply<NotificationPreferences> {
        let body = try await JSONBody(request, context: context)
        return Reply.ok(
            try await store.save(context.caller.userId, correlationId: context.requestId) { current in
                try NotificationPreferences.read(body, over: current, replacing: true)
            })
    }

    @Sendable func update(_ request: Request, context: CustomerContext) async throws -> Reply<NotificationPreferences> {
        let body = try await JSONBody(request, context: context)
        return Reply.ok(
            try await store.save(context.caller.userId, correlationId: context.requestId) { current in
                try NotificationPreferences.read(body, over: current, replacing: false)
            })
    }

    @Sendable func optOut(_ request: Request, context: CustomerContext) async throws -> Reply<NotificationPreferences> {
        var body = try await JSONBody(request, context: context)
        let optOut = body.optional("channel", .oneOf(NotificationPreferences.OptOut.self)) ?? .allMarketing
        try body.finish()
        return Reply.ok(
            try await store.save(context.caller.userId, correlationId: context.requestId) { current in
                var next = current
                for flag in optOut.clears { next.values[flag] = false }
                next.optedOutAt = Date()
                return next
            })
    }
}
