import Contracts
import Foundation

@testable import loyalty
@testable import support

/// A downloaded data export (CONTRACT §13), as far as the stack tests read it. Profiles merges
/// each context's part into one JSON object, so there is no production `Decodable` type for
/// it; tests whose point is the exact keys, or a key present with `null`, read the document as
/// `[String: JSONValue]` instead.
struct ExportDocument: Decodable {
    struct ProfilePart: Decodable {
        let firstName: String
        let phone: String?
    }

    struct AddressPart: Decodable {
        let postcode: String
    }

    struct PreferencesPart: Decodable {
        let newsletter: Bool
    }

    struct WishlistPart: Decodable {
        struct Item: Decodable { let productId: String }
        let itemCount: Int
        let items: [Item]
    }

    struct ReviewPart: Decodable {
        let id: UUID
        let status: ReviewStatus
        let reviewerName: String
    }

    struct TicketPart: Decodable {
        struct MessagePart: Decodable {
            let senderType: Message.Sender
            let message: String
        }
        let id: UUID
        let subject: String
        let messages: [MessagePart]
    }

    struct LoyaltyPart: Decodable {
        struct AccountPart: Decodable { let points: Int }
        struct EntryPart: Decodable {
            let id: UUID
            let points: Int
            let reason: String
        }
        struct CodePart: Decodable { let code: String }
        let account: AccountPart?
        let transactions: [EntryPart]
        let referralCode: CodePart?
    }

    struct ReferralPart: Decodable {
        let refereeId: String
        let status: Referral.Status
    }

    struct PortalPart: Decodable {
        struct OrderPart: Decodable { let orderRef: String? }
        let orders: [OrderPart]
    }

    let userId: String
    let profile: ProfilePart?
    let addresses: [AddressPart]
    let notificationPreferences: PreferencesPart?
    let wishlist: WishlistPart?
    let reviews: [ReviewPart]
    let tickets: [TicketPart]
    let loyalty: LoyaltyPart
    let referrals: [ReferralPart]
    let portal: PortalPart
}
