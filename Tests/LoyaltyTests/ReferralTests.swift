import Contracts
import Foundation
import TestSupport
import Testing

@testable import loyalty

/// Referral codes: generated once, validated publicly with the referrer's name (CONTRACT §9).
@Suite(.needsTestServers) struct ReferralCodeTests {
    func generate(_ api: API, for user: String) async throws -> String {
        try await api.post("/referrals/generate", as: user).data(ReferralController.Generated.self).code
    }

    func validation(_ api: API, _ code: String) async throws -> ReferralStore.Validation {
        try await api.get("/referrals/validate/\(code)", as: nil).data(ReferralStore.Validation.self)
    }

    @Test func aCodeIsGeneratedOnce() async throws {
        try await withTestService(LoyaltyService.self) { api, _ in
            let referrer = TestEnvironment.uniqueUser()
            let first = try await api.post("/referrals/generate", as: referrer)
            let second = try await api.post("/referrals/generate", as: referrer)
            let generated = try first.data(ReferralController.Generated.self)
            #expect(first.status == .created && second.status == .ok)
            let again = try second.data(ReferralController.Generated.self)
            #expect(again.code == generated.code && again.createdAt == generated.createdAt)
            #expect(generated.code.wholeMatch(of: /LW-[ABCDEFGHJKLMNPQRSTUVWXYZ23456789]{8}/) != nil)
        }
    }

    @Test func generatingACodeNeedsAToken() async throws {
        try await withTestService(LoyaltyService.self) { (api, _) async throws in
            #expect(try await api.post("/referrals/generate", as: nil).status == .unauthorized)
        }
    }

    /// Public: no token needed; malformed → 400, unknown → 404.
    @Test func malformedCodesAreBadRequestsAndUnknownOnesNotFound() async throws {
        try await withTestService(LoyaltyService.self) { api, _ in
            let malformed = try await api.get("/referrals/validate/no!", as: nil)
            #expect(malformed.status == .badRequest && malformed.errorCode == "INVALID_REFERRAL_CODE")
            #expect(try await api.get("/referrals/validate/abc", as: nil).errorCode == "INVALID_REFERRAL_CODE")
            let unknown = try await api.get("/referrals/validate/NOPE-0000", as: nil)
            #expect(unknown.status == .notFound && unknown.errorCode == "NOT_FOUND")
        }
    }

    /// Known, case-insensitively; no name is known yet.
    @Test func aKnownCodeIsValidInAnyCase() async throws {
        try await withTestService(LoyaltyService.self) { api, _ in
            let code = try await generate(api, for: TestEnvironment.uniqueUser())
            let nameless = try await api.get("/referrals/validate/\(code.lowercased())", as: nil)
            #expect(nameless.status == .ok)
            let shown = try nameless.data(ReferralStore.Validation.self)
            #expect(shown.valid == true && shown.code == code)
            #expect(shown.referrerName == nil)
        }
    }

    /// The name arrives with customer.profile.updated and replaces the cached answer; an older
    /// event arriving late changes nothing.
    @Test func theReferrersNameArrivesWithTheirProfileAndLateEventsChangeNothing() async throws {
        try await withTestServiceAndBroker(LoyaltyService.self) { api, app, brokers in
            let referrer = TestEnvironment.uniqueUser()
            let code = try await generate(api, for: referrer)
            #expect(try await validation(api, code).referrerName == nil)  // and that answer is now cached

            let publisher = try TestPublisher(brokers: brokers)
            try await publisher.publishName("Jane", "doe", of: referrer, email: "jane@example.com")
            #expect(
                try await eventually {
                    try await validation(api, code).referrerName == "Jane D."
                })
            let late = try await publisher.publishName(
                "Old", "Name", of: referrer, changedFields: ["firstName"], occurredAt: Date().addingTimeInterval(-3600))
            await publisher.shutdown()
            #expect(
                try await eventually {
                    try await app.hasProcessed(late.id)
                })
            #expect(try await validation(api, code).referrerName == "Jane D.")
        }
    }

    /// Anonymisation scrubs the name and ends the code (CONTRACT §13: an erased customer's
    /// code stops working).
    @Test func anonymisationScrubsTheNameAndEndsTheCode() async throws {
        try await withTestServiceAndBroker(LoyaltyService.self) { api, app, brokers in
            let referrer = TestEnvironment.uniqueUser()
            let code = try await generate(api, for: referrer)
            let publisher = try TestPublisher(brokers: brokers)
            try await publisher.publishName("Jane", "doe", of: referrer, email: "jane@example.com")
            #expect(
                try await eventually {
                    try await validation(api, code).referrerName == "Jane D."
                })
            try await publisher.publish(
                Topics.profileAnonymized, ProfileAnonymized(userId: referrer, anonymizedAt: Date()),
                userId: referrer, source: "profiles")
            await publisher.shutdown()
            #expect(
                try await eventually {
                    try await api.get("/referrals/validate/\(code)", as: nil).status == .notFound
                })
            #expect(try await app.runtime.database.scalar("SELECT count(*)::int FROM referral_codes WHERE user_id = \(referrer)") == 0)
            #expect(
                try await app.runtime.database.scalar(
                    """
                    SELECT count(*)::int FROM customer_names WHERE user_id = \(referrer) AND first_name IS NULL AND last_name IS NULL
                    """) == 1)
        }
    }
}

/// Applying a code, listing, stats, and an admin's completion (CONTRACT §9).
@Suite(.needsTestServers) struct ReferralTests {
    /// A referrer with a code, and a referee who applied it.
    struct Applied {
        let referrer: String, referee: String, code: String
        let referral: Referral
        var id: String { referral.id.lowercasedString }
    }

    func generatedCode(_ api: API, for user: String) async throws -> String {
        try await api.post("/referrals/generate", as: user).data(ReferralController.Generated.self).code
    }

    func applied(_ api: API) async throws -> Applied {
        let referrer = TestEnvironment.uniqueUser()
        let referee = TestEnvironment.uniqueUser()
        let code = try await generatedCode(api, for: referrer)
        let answer = try await api.post("/referrals/apply", as: referee, body: ["code": .string(code.lowercased())])
        #expect(answer.status == .created)
        return Applied(referrer: referrer, referee: referee, code: code, referral: try answer.data(Referral.self))
    }

    func complete(_ api: API, _ id: String, _ body: JSONValue = [:]) async throws -> Answer {
        try await api.patch("/referrals/\(id)/complete", as: "admin-1", role: .admin, body: body)
    }

    /// Missing → 422, malformed → 400, unknown → 404, one's own → 400 SELF_REFERRAL.
    @Test func applyChecksInTheContractsOrder() async throws {
        try await withTestService(LoyaltyService.self) { api, _ in
            let referrer = TestEnvironment.uniqueUser()
            let referee = TestEnvironment.uniqueUser()
            let code = try await generatedCode(api, for: referrer)
            let missing = try await api.post("/referrals/apply", as: referee, body: [:])
            #expect(missing.status == .unprocessableContent && missing.errorCode == "VALIDATION_ERROR")
            let malformed = try await api.post("/referrals/apply", as: referee, body: ["code": "x y"])
            #expect(malformed.status == .badRequest && malformed.errorCode == "INVALID_REFERRAL_CODE")
            #expect(try await api.post("/referrals/apply", as: referee, body: ["code": "LW-UNKNOWN"]).status == .notFound)
            let own = try await api.post("/referrals/apply", as: referrer, body: ["code": .string(code)])
            #expect(own.status == .badRequest && own.errorCode == "SELF_REFERRAL")
        }
    }

    /// A code applied in any case makes a PENDING referral with nothing awarded yet.
    @Test func applyingACodeMakesAPendingReferral() async throws {
        try await withTestService(LoyaltyService.self) { api, _ in
            let a = try await applied(api)
            let referral = a.referral
            #expect(referral.status == .pending && referral.code == a.code)
            #expect(referral.referrerId == a.referrer && referral.refereeId == a.referee)
            #expect(referral.referrerPointsAwarded == 0 && referral.completedAt == nil && referral.orderId == nil)
        }
    }

    @Test func aCustomerIsReferredOnce() async throws {
        try await withTestService(LoyaltyService.self) { api, _ in
            let a = try await applied(api)
            let again = try await api.post("/referrals/apply", as: a.referee, body: ["code": .string(a.code)])
            #expect(again.status == .conflict && again.errorCode == "CONFLICT")
        }
    }

    @Test func theReferrerListsTheirReferralsWithTheirCode() async throws {
        try await withTestService(LoyaltyService.self) { api, _ in
            let a = try await applied(api)
            let listing = try await api.get("/referrals", as: a.referrer)
            let mine = try listing.data(ReferralController.Listing.self)
            #expect(try mine.code == a.code && mine.referrals.count == 1 && listing.meta().total == 1)
            let empty = try await api.get("/referrals", as: a.referee).data(ReferralController.Listing.self)
            #expect(empty.code == nil && empty.referrals.isEmpty)
        }
    }

    @Test func statsCountAPendingReferral() async throws {
        try await withTestService(LoyaltyService.self) { api, _ in
            let a = try await applied(api)
            let stats = try await api.get("/referrals/stats", as: a.referrer).data(ReferralStore.Stats.self)
            #expect(stats.totalReferrals == 1 && stats.pendingReferrals == 1 && stats.completedReferrals == 0)
        }
    }

    /// Completion is an admin's: 403 for the customer, 404 for an unknown or malformed id.
    @Test func completionIsAnAdminsAndNeedsAKnownReferral() async throws {
        try await withTestService(LoyaltyService.self) { api, _ in
            let a = try await applied(api)
            #expect(try await api.patch("/referrals/\(a.id)/complete", as: a.referrer, body: [:]).status == .forbidden)
            #expect(try await complete(api, "\(UUID())").status == .notFound)
            #expect(try await complete(api, "nope").status == .notFound)
        }
    }

    /// Both balances are credited once, as EARN entries that point at the referral.
    @Test func anAdminsCompletionCreditsBothOnce() async throws {
        try await withTestService(LoyaltyService.self) { api, app in
            let a = try await applied(api)
            let completed = try await complete(api, a.id, ["referrerPoints": 300, "orderId": "order-9"])
            #expect(completed.status == .ok)
            let referral = try completed.data(Referral.self)
            #expect(referral.status == .completed)
            #expect(referral.referrerPointsAwarded == 300 && referral.refereePointsAwarded == 100)
            #expect(referral.orderId == "order-9" && referral.completedAt != nil)

            #expect(try await api.get("/loyalty", as: a.referrer).data(Account.self).points == 300)
            #expect(try await api.get("/loyalty", as: a.referee).data(Account.self).points == 100)
            let history = try await api.get("/loyalty/transactions", as: a.referee).data(LoyaltyController.History.self).transactions
            #expect(history.count == 1 && history.first?.type == .earn)
            #expect(history.first?.referenceType == "REFERRAL" && history.first?.referenceId == a.id)
            let stats = try await api.get("/referrals/stats", as: a.referrer).data(ReferralStore.Stats.self)
            #expect(stats.completedReferrals == 1 && stats.pendingReferrals == 0 && stats.totalPointsEarned == 300)
            #expect(
                try await app.runtime.database.scalar(
                    "SELECT count(*)::int FROM outbox WHERE topic = 'customer.referral.completed' AND key = \(a.referrer)") == 1)
        }
    }

    @Test func aCompletedReferralCannotBeCompletedAgain() async throws {
        try await withTestService(LoyaltyService.self) { api, _ in
            let a = try await applied(api)
            #expect(try await complete(api, a.id, ["referrerPoints": 300, "orderId": "order-9"]).status == .ok)
            let twice = try await complete(api, a.id)
            #expect(twice.status == .conflict && twice.errorCode == "INVALID_STATE")
        }
    }

    /// One behaviour: the referee's first paid order (redelivered, then a second order)
    /// completes the pending referral once, crediting both.
    @Test func aPendingReferralCompletesOnTheRefereesFirstPaidOrder() async throws {
        try await withTestServiceAndBroker(LoyaltyService.self) { api, app, brokers in
            let referrer = TestEnvironment.uniqueUser()
            let referee = TestEnvironment.uniqueUser()
            let code = try await generatedCode(api, for: referrer)
            let id = try await api.post("/referrals/apply", as: referee, body: ["code": .string(code)]).data(Referral.self).id

            let publisher = try TestPublisher(brokers: brokers)
            let first = OrderPaymentSucceeded(orderId: "order-a-\(referee)", userId: referee, totalAmount: 40, items: [], paidAt: Date())
            let second = OrderPaymentSucceeded(orderId: "order-b-\(referee)", userId: referee, totalAmount: 10, items: [], paidAt: Date())
            try await publisher.publish(Topics.orderPaymentSucceeded, first, userId: referee, source: "orders", times: 2)
            try await publisher.publish(Topics.orderPaymentSucceeded, second, userId: referee, source: "orders")
            await publisher.shutdown()

            let database = app.runtime.database
            #expect(
                try await eventually {
                    try await database.scalar("SELECT coalesce(sum(points), 0)::int FROM transactions WHERE user_id = \(referee)") == 150
                })
            let referral = try await api.get("/referrals", as: referrer).data(ReferralController.Listing.self).referrals
            #expect(referral.first?.id == id && referral.first?.status == .completed)
            #expect(referral.first?.orderId == "order-a-\(referee)")
            // 40 + 10 for the orders and 100 as the referee; 250 for the referrer, once.
            #expect(try await api.get("/loyalty", as: referee).data(Account.self).points == 150)
            #expect(try await api.get("/loyalty", as: referrer).data(Account.self).points == 250)
            #expect(try await database.scalar("SELECT count(*)::int FROM transactions WHERE reference_type = 'REFERRAL'") == 2)
            #expect(try await database.scalar("SELECT count(*)::int FROM outbox WHERE topic = 'customer.referral.completed'") == 1)
        }
    }
}
