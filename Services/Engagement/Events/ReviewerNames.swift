import Contracts
import Domain
import EventBus

/// Reviewers' names (`reviewerName`): the shared `CustomerNames` projection, and the cached
/// pages of the products a customer reviewed dropped when their name changes or is erased.
enum ReviewerNames {
    static func register(on handlers: inout EventHandlers, reviews: ReviewStore) {
        CustomerNames.register(on: &handlers, logger: reviews.logger)
        handlers.on(Topics.profileUpdated) { event, connection in
            try await reviews.dropCachedPages(ofReviewsBy: event.payload.userId, on: connection)
        }
        handlers.on(Topics.profileAnonymized) { event, connection in
            try await reviews.dropCachedPages(ofReviewsBy: event.payload.userId, on: connection)
        }
    }
}
