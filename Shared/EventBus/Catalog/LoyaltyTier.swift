/// Loyalty tiers by lifetime points, shared by loyalty (which assigns them) and profiles
/// (whose dashboard shows the next one). Thresholds come from `LOYALTY_*_THRESHOLD`.
public enum LoyaltyTier: String, Codable, Sendable, CaseIterable, Comparable {
    case bronze = "BRONZE", silver = "SILVER", gold = "GOLD", platinum = "PLATINUM"

    public static func < (a: LoyaltyTier, b: LoyaltyTier) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

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
