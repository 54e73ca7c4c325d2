import HTTPKit
import Hummingbird

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `/reviews` (CONTRACT §6): customers write and read their own reviews, admins moderate,
/// and anyone reads a product's approved reviews — the shop's hottest public read, served
/// from Redis as the finished response body.
struct ReviewController {
    let store: ReviewStore

    func register(on routes: RouterGroup<AppContext>) {
        routes.get("/reviews/product/:productId", use: productPage)
        routes.group(context: CustomerContext.self)
            .post("/reviews", use: create)
            .get("/reviews", use: mine)
            .get("/reviews/:id", use: review)
        routes.group(context: AdminContext.self)
            .get("/reviews/moderation", use: moderationQueue)
            .patch("/reviews/:id/status", use: moderate)
    }

    /// Public: no token needed, and a valid one changes nothing.
    @Sendable func productPage(_ request: Request, context: AppContext) async throws -> Response {
        let productId = try ProductId.path(context)
        var query = QueryParameters(request)
        let sort = query.optional("sort", .oneOf(ProductReviews.Sort.self), default: .newest)
        let page = query.pagination()
        try query.finish()
        return Response.json(try await store.cachedProductPage(productId, sort: sort, page: page).utf8)
    }

    @Sendable func create(_ request: Request, context: CustomerContext) async throws -> Reply<Review> {
        let new = try NewReview.read(try await JSONBody(request, context: context))
        return Reply.created(try await store.create(context.caller.userId, new, correlationId: context.requestId))
    }

    @Sendable func mine(_ request: Request, context: CustomerContext) async throws -> Reply<[Review]> {
        let page = try QueryParameters.pagination(request)
        let (reviews, total) = try await store.list(by: context.caller.userId, page: page)
        return Reply.page(reviews, page.meta(total: total))
    }

    /// The caller's own review (admins: any); another customer's is a 404, never a 403 (CONTRACT §1).
    @Sendable func review(_ request: Request, context: CustomerContext) async throws -> Reply<Review> {
        let id = try context.resourceId(notFound: "Review not found")
        guard let review = try await store.find(id), context.caller.owns(review.userId) || context.caller.role == .admin else {
            throw AppError.notFound("Review not found")
        }
        return Reply.ok(review)
    }

    @Sendable func moderationQueue(_ request: Request, context: AdminContext) async throws -> Reply<[Review]> {
        var query = QueryParameters(request)
        let status = query.optional("status", .oneOf(Review.Status.self), default: .pending)
        let page = query.pagination()
        try query.finish()
        let (reviews, total) = try await store.queue(status, page: page)
        return Reply.page(reviews, page.meta(total: total))
    }

    @Sendable func moderate(_ request: Request, context: AdminContext) async throws -> Reply<Review> {
        let id = try context.resourceId(notFound: "Review not found")
        let moderation = try Moderation.read(try await JSONBody(request, context: context))
        return Reply.ok(try await store.moderate(id, moderation, correlationId: context.requestId))
    }
}
