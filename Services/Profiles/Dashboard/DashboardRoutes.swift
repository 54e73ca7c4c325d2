import HTTPKit

/// `GET /dashboard` and `GET /onboarding-status` (CONTRACT §2).
struct DashboardRoutes {
    let store: DashboardStore

    func register(on routes: RouterGroup<AppContext>) {
        routes.get("/dashboard") { _, context in
            Reply.ok(try await store.dashboard(try context.customer().userId))
        }
        routes.get("/onboarding-status") { _, context in
            Reply.ok(try await store.onboarding(try context.customer().userId))
        }
    }
}
