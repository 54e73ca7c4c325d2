import Testing

@testable import engagement

/// The product page's summary, computed from the counts by rating (no servers needed).
@Suite struct RatingSummaryTests {
    @Test(arguments: [
        ([0, 0, 0, 0, 0], 0.0), ([0, 0, 0, 2, 1], 4.3), ([1, 0, 0, 0, 1], 3.0), ([0, 0, 1, 1, 0], 3.5),
        ([2, 0, 0, 0, 1], 2.3), ([0, 1, 0, 0, 0], 2.0), ([0, 0, 0, 0, 7], 5.0), ([1, 1, 0, 0, 0], 1.5),
    ])
    func averageIsRoundedToOneDecimal(counts: [Int], average: Double) {
        let summary = RatingSummary(counts: counts)
        #expect(summary.averageRating == average)
        #expect(summary.totalReviews == counts.reduce(0, +))
        #expect(summary.distribution["5"] == counts[4] && summary.distribution.count == 5)
    }
}
