import HTTPKit

/// `GET /admin/customers?q=` (CONTRACT §10), admin only.
struct CustomerSearchRoutes {
    let database: Database

    func register(on routes: RouterGroup<AppContext>) {
        routes.get("/admin/customers") { request, context in
            _ = try context.admin()
            var query = QueryParameters(request)
            let q = query.optional("q", .string(1...100)) ?? ""
            let page = query.pagination()
            try query.finish()
            let (entries, total) = try await CustomerIndex.search(q, page: page, database: database)
            return Reply.page(entries, page.meta(total: total))
        }
    }
}
