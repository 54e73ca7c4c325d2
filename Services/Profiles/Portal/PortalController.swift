import HTTPKit
import Hummingbird

/// `/portal/*` (CONTRACT §10): what the customer did elsewhere on the platform.
struct PortalController {
    let store: PortalStore

    struct Orders: Codable, Sendable { let orders: [PortalOrder] }
    struct Appointments: Codable, Sendable { let appointments: [PortalAppointment] }
    struct Requests: Codable, Sendable { let requests: [PortalBrochureRequest] }

    func register(on routes: RouterGroup<AppContext>) {
        routes.group(context: CustomerContext.self)
            .get("/portal/orders", use: orders)
            .get("/portal/appointments", use: appointments)
            .get("/portal/brochure-requests", use: brochureRequests)
            .get("/portal/support", use: support)
    }

    @Sendable func orders(_ request: Request, context: CustomerContext) async throws -> Reply<Orders> {
        let page = try QueryParameters.pagination(request)
        let (orders, total) = try await store.orders(context.caller.userId, page)
        return Reply.page(Orders(orders: orders), page.meta(total: total))
    }

    @Sendable func appointments(_ request: Request, context: CustomerContext) async throws -> Reply<Appointments> {
        let page = try QueryParameters.pagination(request)
        let (appointments, total) = try await store.appointments(context.caller.userId, page)
        return Reply.page(Appointments(appointments: appointments), page.meta(total: total))
    }

    @Sendable func brochureRequests(_ request: Request, context: CustomerContext) async throws -> Reply<Requests> {
        let page = try QueryParameters.pagination(request)
        let (requests, total) = try await store.brochureRequests(context.caller.userId, page)
        return Reply.page(Requests(requests: requests), page.meta(total: total))
    }

    @Sendable func support(_ request: Request, context: CustomerContext) async throws -> Reply<PortalSupport> {
        Reply.ok(try await store.support(context.caller.userId))
    }
}
