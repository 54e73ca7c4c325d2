/// A loyalty tier as the contract and the events name it, lowest first. Loyalty assigns it
/// (`LoyaltyTierThresholds`); profiles shows it on the dashboard.
public enum LoyaltyTier: String, Codable, Sendable, CaseIterable, Comparable {
    case bronze = "BRONZE"
    case silver = "SILVER"
    case gold = "GOLD"
    case platinum = "PLATINUM"

    public static func < (a: LoyaltyTier, b: LoyaltyTier) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}
