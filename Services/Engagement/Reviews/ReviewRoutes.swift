#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HTTPKit

/// `/reviews` (CONTRACT §6): customers write and read their own reviews, admins moderate,
/// and anyone reads a product's approved reviews — the shop's hottest public read, served
/// from Redis as the finished response body.
struct ReviewRoutes {
    let store: ReviewStore

    func register(on routes: RouterGroup<AppContext>) {
        routes.post("/reviews") { request, context in
            let userId = try context.customer().userId
            let new = try NewReview.read(try await JSONBody(request, context: context))
            return Reply.created(try await store.create(userId, new, correlationId: context.requestId))
        }

        routes.get("/reviews") { request, context in
            let userId = try context.customer().userId
            let page = try QueryParameters.pagination(request)
            let (reviews, total) = try await store.list(by: userId, page: page)
            return Reply.page(reviews, page.meta(total: total))
        }

        routes.get("/reviews/product/:productId") { request, context in
            let productId = try ProductId.path(context)
            var query = QueryParameters(request)
            let sort = query.optional("sort", .oneOf(ProductReviews.Sort.self), default: .newest)
            let page = query.pagination()
            try query.finish()
            return try await store.runtime.cache.response(store.pageKey(productId, sort: sort, page: page), group: store.pageGroup(productId)) {
                try await store.productPage(productId, sort: sort, page: page)
            }
        }

        routes.get("/reviews/moderation") { request, context in
            _ = try context.admin()
            var query = QueryParameters(request)
            let status = query.optional("status", .oneOf(Review.Status.self), default: .PENDING)
            let page = query.pagination()
            try query.finish()
            let (reviews, total) = try await store.queue(status, page: page)
            return Reply.page(reviews, page.meta(total: total))
        }

        routes.get("/reviews/:id") { _, context in
            let principal = try context.customer()
            let id = try context.resourceId(notFound: "Review not found")
            // Another customer's review is a 404, never a 403 (CONTRACT §1).
            guard let review = try await store.find(id), principal.owns(review.userId) || principal.role == .admin else {
                throw AppError.notFound("Review not found")
            }
            return Reply.ok(review)
        }

        routes.patch("/reviews/:id/status") { request, context in
            _ = try context.admin()
            let id = try context.resourceId(notFound: "Review not found")
            let moderation = try Moderation.read(try await JSONBody(request, context: context))
            return Reply.ok(try await store.moderate(id, moderation, correlationId: context.requestId))
        }
    }
}
