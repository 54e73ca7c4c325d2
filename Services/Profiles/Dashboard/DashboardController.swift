import HTTPKit
import Hummingbird

/// `GET /dashboard` and `GET /onboarding-status` (CONTRACT §2).
struct DashboardController {
    let store: DashboardStore

    func register(on routes: RouterGroup<AppContext>) {
        routes.group(context: CustomerContext.self)
            .get("/dashboard", use: dashboard)
            .get("/onboarding-status", use: onboarding)
    }

    @Sendable func dashboard(_ request: Request, context: CustomerContext) async throws -> Reply<Dashboard> {
        Reply.ok(try await store.dashboard(context.caller.userId))
    }

    @Sendable func onboarding(_ request: Request, context: CustomerContext) async throws -> Reply<Onboarding> {
        Reply.ok(try await store.onboarding(context.caller.userId))
    }
}
