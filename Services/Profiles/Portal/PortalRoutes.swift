import HTTPKit

/// `/portal/*` (CONTRACT §10): what the customer did elsewhere on the platform.
struct PortalRoutes {
    let store: PortalStore

    struct Orders: Encodable, Sendable { let orders: [PortalOrder] }
    struct Appointments: Encodable, Sendable { let appointments: [PortalAppointment] }
    struct Requests: Encodable, Sendable { let requests: [PortalBrochureRequest] }

    func register(on routes: RouterGroup<AppContext>) {
        routes.get("/portal/orders") { request, context in
            let userId = try context.customer().userId
            let page = try QueryParameters.pagination(request)
            let (orders, total) = try await store.orders(userId, page)
            return Reply.page(Orders(orders: orders), page.meta(total: total))
        }
        routes.get("/portal/appointments") { request, context in
            let userId = try context.customer().userId
            let page = try QueryParameters.pagination(request)
            let (appointments, total) = try await store.appointments(userId, page)
            return Reply.page(Appointments(appointments: appointments), page.meta(total: total))
        }
        routes.get("/portal/brochure-requests") { request, context in
            let userId = try context.customer().userId
            let page = try QueryParameters.pagination(request)
            let (requests, total) = try await store.brochureRequests(userId, page)
            return Reply.page(Requests(requests: requests), page.meta(total: total))
        }
        routes.get("/portal/support") { _, context in
            Reply.ok(try await store.support(try context.customer().userId))
        }
    }
}
