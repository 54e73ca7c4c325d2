import Contracts
import Domain
import HTTPKit
import Logging
import PostgresNIO
import ServiceKit
import Storage

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Review SQL. Reads join the reviewer's name from the `customer_names` projection, so a
/// name change shows on every review at once. Moderation changes the review, the product's
/// rating counts and publishes `customer.review.moderated` in one transaction, and drops the
/// product's cached public page after it commits.
struct ReviewStore: Sendable {
    let runtime: Runtime
    var logger: Logger { runtime.logger }

    /// The review columns and the reviewer's name, from `source` (a table or CTE named `r`).
    static func select(from source: String) -> String {
        """
        SELECT r.id, r.user_id, r.product_id, r.order_id, r.category, r.rating, r.title, r.body, r.images, r.status,
               r.rejection_reason, r.verified_purchase, n.first_name, n.last_name, r.created_at, r.updated_at, r.moderated_at
        FROM \(source) LEFT JOIN customer_names n ON n.user_id = r.user_id
        """
    }

    // MARK: Reading

    func find(_ id: UUID) async throws -> Review? {
        try await Self.reviews(runtime.database.query("\(unescaped: Self.select(from: "reviews r")) WHERE r.id = \(id)")).first
    }

    /// The caller's reviews in any status, newest first.
    func list(by userId: String, page: Pagination) async throws -> ([Review], Int) {
        async let total = runtime.database.query("SELECT count(*)::int FROM reviews WHERE user_id = \(userId)").value(Int.self)
        let reviews = try await Self.reviews(
            runtime.database.query(
                """
                \(unescaped: Self.select(from: "reviews r")) WHERE r.user_id = \(userId)
                ORDER BY r.created_at DESC, r.id LIMIT \(page.limit) OFFSET \(page.offset)
                """))
        return (reviews, try await total ?? 0)
    }

    /// Every review of the customer, newest first, read on `connection` (a data export).
    func all(by userId: String, on connection: PostgresConnection) async throws -> [Review] {
        try await Self.reviews(
            connection.query(
                """
                \(unescaped: Self.select(from: "reviews r")) WHERE r.user_id = \(userId) ORDER BY r.created_at DESC, r.id
                """, logger: logger))
    }

    /// The moderation queue: reviews in `status`, oldest first.
    func queue(_ status: Review.Status, page: Pagination) async throws -> ([Review], Int) {
        async let total = runtime.database.query("SELECT count(*)::int FROM reviews WHERE status = \(status.rawValue)").value(Int.self)
        let reviews = try await Self.reviews(
            runtime.database.query(
                """
                \(unescaped: Self.select(from: "reviews r")) WHERE r.status = \(status.rawValue)
                ORDER BY r.created_at, r.id LIMIT \(page.limit) OFFSET \(page.offset)
                """))
        return (reviews, try await total ?? 0)
    }

    /// The public page of a product: its rating summary and a page of approved reviews. The
    /// summary's count is the page's total, so no count query is needed.
    func productPage(_ productId: String, sort: ProductReviews.Sort, page: Pagination) async throws -> SuccessBody<ProductReviews> {
        async let counts = runtime.database.query(
            "SELECT counts FROM product_ratings WHERE product_id = \(productId)"
        ).value([Int].self)
        let reviews = try await Self.reviews(
            runtime.database.query(
                """
                \(unescaped: Self.select(from: "reviews r")) WHERE r.product_id = \(productId) AND r.status = 'APPROVED'
                ORDER BY \(unescaped: sort.orderBy) LIMIT \(page.limit) OFFSET \(page.offset)
                """))
        let summary = RatingSummary(counts: try await counts ?? [0, 0, 0, 0, 0])
        return SuccessBody(
            ProductReviews(productId: productId, summary: summary, reviews: reviews.map(PublicReview.init)),
            meta: page.meta(total: summary.totalReviews))
    }

    // MARK: Changing

    /// A PENDING review; 409 when the caller already reviewed the product.
    func create(_ userId: String, _ new: NewReview, correlationId: String) async throws -> Review {
        do {
            return try await runtime.database.transaction { connection in
                // Taken by the purchases handler too: a purchase committing meanwhile is either
                // seen here or marks this review when it applies.
                try await connection.lockUntilCommit(Self.purchasesLock(userId), logger: logger)
                let review = try await Self.reviews(
                    connection.query(
                        """
                        WITH r AS (
                            INSERT INTO reviews (id, user_id, product_id, order_id, category, rating, title, body, images, verified_purchase)
                            VALUES (\(UUID()), \(userId), \(new.productId), \(new.orderId), \(new.category?.rawValue), \(new.rating),
                                \(new.title), \(new.body), \(new.images),
                                EXISTS (SELECT 1 FROM purchases WHERE user_id = \(userId) AND product_id = \(new.productId)))
                            RETURNING *
                        )
                        \(unescaped: Self.select(from: "r"))
                        """, logger: logger))[0]
                try await runtime.outbox.enqueue(
                    Topics.reviewCreated, userId: userId,
                    payload: ReviewCreated(
                        reviewId: review.id, userId: userId, productId: review.productId, rating: review.rating,
                        status: review.status, createdAt: review.createdAt),
                    correlationId: correlationId, on: connection, logger: logger)
                return review
            }
        } catch StorageError.uniqueViolation {
            throw AppError.conflict("You have already reviewed this product")
        }
    }

    /// Approves or rejects a review (again, if it was moderated before); 404 for an unknown id.
    func moderate(_ id: UUID, _ moderation: Moderation, correlationId: String) async throws -> Review {
        try await runtime.database.transaction { connection in
            let locked = try await connection.query(
                "SELECT status, rating, product_id FROM reviews WHERE id = \(id) FOR UPDATE", logger: logger
            ).decode((String, Int, String).self).firstElement()
            guard let (before, rating, productId) = locked else { throw AppError.notFound("Review not found") }
            let wasApproved = try Review.Status.stored(before) == .approved
            let isApproved = moderation.status == .approved
            if wasApproved != isApproved {
                try await count(productId, rating: rating, change: isApproved ? 1 : -1, on: connection)
            }
            let review = try await Self.reviews(
                connection.query(
                    """
                    WITH r AS (
                        UPDATE reviews SET status = \(moderation.status.rawValue), rejection_reason = \(moderation.rejectionReason),
                            moderated_at = clock_timestamp(), updated_at = clock_timestamp()
                        WHERE id = \(id) RETURNING *
                    )
                    \(unescaped: Self.select(from: "r"))
                    """, logger: logger))[0]
            try await runtime.outbox.enqueue(
                Topics.reviewModerated, userId: review.userId,
                payload: ReviewModerated(
                    reviewId: id, userId: review.userId, productId: productId, rating: rating, status: review.status),
                correlationId: correlationId, on: connection, logger: logger)
            await dropCachedPages(of: [productId])
            return review
        }
    }

    /// Adds `change` (±1) to the product's approved reviews of `rating`.
    private func count(_ productId: String, rating: Int, change: Int, on connection: PostgresConnection) async throws {
        // The product's first approval inserts the row. Its CHECK applies to the proposed row
        // even when it conflicts, so a decrement proposes zeros (an approved review was
        // always counted: the row exists).
        let first = (1...5).map { $0 == rating ? max(change, 0) : 0 }
        try await connection.query(
            """
            INSERT INTO product_ratings AS p (product_id, counts) VALUES (\(productId), \(first))
            ON CONFLICT (product_id) DO UPDATE SET counts[\(rating)] = p.counts[\(rating)] + \(change)
            """, logger: logger)
    }

    // MARK: The public page's cache

    /// Every cached variant (sort, page, limit) of a product's page belongs to one group.
    func pageGroup(_ productId: String) -> String {
        runtime.cache.key("product-reviews", "v2", productId)
    }

    func pageKey(_ productId: String, sort: ProductReviews.Sort, page: Pagination) -> String {
        pageGroup(productId) + ":\(sort.rawValue):\(page.page):\(page.limit)"
    }

    /// The public page's finished body (its envelope and `meta`), from Redis or loaded and kept.
    func cachedProductPage(_ productId: String, sort: ProductReviews.Sort, page: Pagination) async throws -> String {
        try await runtime.cache.body(pageKey(productId, sort: sort, page: page), group: pageGroup(productId)) {
            try await productPage(productId, sort: sort, page: page)
        }
    }

    /// Drops the products' cached pages once the surrounding transaction commits.
    func dropCachedPages(of productIds: [String]) async {
        await runtime.cache.invalidateAfterCommit(productIds.map(pageGroup))
    }

    /// Drops the pages of every product `userId` reviewed, in any status: a review approved
    /// while this transaction runs is among them, so its page cannot keep what this changes.
    func dropCachedPages(ofReviewsBy userId: String, on connection: PostgresConnection) async throws {
        let products = try await connection.query(
            "SELECT product_id FROM reviews WHERE user_id = \(userId)", logger: logger
        ).values(String.self)
        await dropCachedPages(of: products)
    }

    /// Serialises a customer's review creation with their purchases arriving.
    static func purchasesLock(_ userId: String) -> String { "engagement.purchases:" + userId }

    static func reviews(_ rows: some AsyncSequence<PostgresRow, any Error>) async throws -> [Review] {
        var reviews: [Review] = []
        for try await (
            id, userId, productId, orderId, category, rating, title, body, images, status, reason, verified,
            firstName, lastName, createdAt, updatedAt, moderatedAt
        )
            in rows.decode(
                (
                    UUID, String, String, String?, String?, Int, String, String, [String], String, String?, Bool,
                    String?, String?, Date, Date, Date?
                ).self)
        {
            reviews.append(
                Review(
                    id: id, userId: userId, productId: productId, orderId: orderId, category: try category.map { try ProductCategory.stored($0) },
                    rating: rating, title: title, body: body, images: images, status: try .stored(status),
                    rejectionReason: reason, verifiedPurchase: verified,
                    reviewerName: CustomerNames.displayName(firstName: firstName, lastName: lastName) ?? Review.anonymousName,
                    createdAt: createdAt, updatedAt: updatedAt, moderatedAt: moderatedAt))
        }
        return reviews
    }
}
