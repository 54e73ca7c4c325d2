import HTTPKit
import Hummingbird
import Storage

/// `GET /admin/customers?q=` (CONTRACT §10), admin only.
struct CustomerSearchController {
    let database: Database

    func register(on routes: RouterGroup<AppContext>) {
        routes.group(context: AdminContext.self).get("/admin/customers", use: search)
    }

    @Sendable func search(_ request: Request, context: AdminContext) async throws -> Reply<[CustomerIndex.Entry]> {
        var query = QueryParameters(request)
        let q = query.optional("q", .string(1...100)) ?? ""
        let page = query.pagination()
        try query.finish()
        let (entries, total) = try await CustomerIndex.search(q, page: page, database: database)
        return Reply.page(entries, page.meta(total: total))
    }
}
