import Contracts
import Domain
import Testing

/// CONTRACT §8's tiers, at their edges: a tier starts exactly at its threshold of lifetime points.
@Suite struct LoyaltyTierThresholdsTests {
    let thresholds = LoyaltyTierThresholds()

    @Test(arguments: [
        (0, LoyaltyTier.bronze), (999, .bronze), (1000, .silver), (4999, .silver), (5000, .gold), (14_999, .gold),
        (15_000, .platinum), (1_000_000, .platinum),
    ])
    func eachTierStartsAtItsThreshold(lifetimePoints: Int, tier: LoyaltyTier) {
        #expect(thresholds.tier(lifetimePoints: lifetimePoints) == tier)
    }

    @Test func theNextTierNamesThePointsStillMissingAndNoneAtTheTop() {
        #expect(thresholds.next(lifetimePoints: 999).map { [$0.tier.rawValue, "\($0.pointsNeeded)"] } == ["SILVER", "1"])
        #expect(thresholds.next(lifetimePoints: 1000).map { [$0.tier.rawValue, "\($0.pointsNeeded)"] } == ["GOLD", "4000"])
        #expect(thresholds.next(lifetimePoints: 15_000) == nil)
    }
}
