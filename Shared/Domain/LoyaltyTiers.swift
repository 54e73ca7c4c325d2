import Contracts
import ServiceKit

/// The lifetime points each tier starts at, shared by loyalty (which assigns tiers) and profiles
/// (whose dashboard shows the next one).
public struct LoyaltyTierThresholds: Sendable, Equatable {
    public var silver: Int
    public var gold: Int
    public var platinum: Int

    public init(silver: Int = 1000, gold: Int = 5000, platinum: Int = 15000) {
        self.silver = silver
        self.gold = gold
        self.platinum = platinum
    }

    public func minimum(of tier: LoyaltyTier) -> Int {
        switch tier {
        case .bronze: 0
        case .silver: silver
        case .gold: gold
        case .platinum: platinum
        }
    }

    public func tier(lifetimePoints: Int) -> LoyaltyTier {
        LoyaltyTier.allCases.last { lifetimePoints >= minimum(of: $0) } ?? .bronze
    }

    /// The next tier and the lifetime points still missing, or nil at the top.
    public func next(lifetimePoints: Int) -> (tier: LoyaltyTier, pointsNeeded: Int)? {
        guard let next = LoyaltyTier.allCases.first(where: { minimum(of: $0) > lifetimePoints }) else { return nil }
        return (next, minimum(of: next) - lifetimePoints)
    }
}

extension LoyaltyTierThresholds {
    /// `LOYALTY_SILVER_THRESHOLD`, `LOYALTY_GOLD_THRESHOLD`, `LOYALTY_PLATINUM_THRESHOLD`, read
    /// the same way by loyalty (which assigns tiers) and profiles (whose dashboard shows the next).
    public init(_ env: EnvironmentVariables) throws(ConfigurationError) {
        self.init(
            silver: try env.int("LOYALTY_SILVER_THRESHOLD", default: 1000, range: 1...100_000_000),
            gold: try env.int("LOYALTY_GOLD_THRESHOLD", default: 5000, range: 1...100_000_000),
            platinum: try env.int("LOYALTY_PLATINUM_THRESHOLD", default: 15000, range: 1...100_000_000))
    }
}
