import Auth
import Foundation
import JWTKit
import Testing

private let secret = "test-secret-0123456789abcdef-0123456789"

@Suite struct TokenVerifierTests {
    @Test func acceptsAValidTokenAndReadsItsClaims() async throws {
        let token = try await TokenMinter(secret: secret).mint(sub: "user-42", role: .agent, email: "a@example.com")
        let principal = try await TokenVerifier(secret: secret).verify(token)
        #expect(principal == Principal(userId: "user-42", role: .agent, email: "a@example.com"))
    }

    @Test func roleDefaultsToCustomer() async throws {
        let token = try await sign(Claims(sub: "u1", exp: .init(value: Date().addingTimeInterval(60))))
        let principal = try await TokenVerifier(secret: secret).verify(token)
        #expect(principal.role == .customer)
    }

    @Test func rejectsAnExpiredToken() async throws {
        let token = try await TokenMinter(secret: secret).mint(sub: "u1", expiresIn: -120)
        await #expect(throws: AuthFailure.unauthenticated("Token expired")) {
            try await TokenVerifier(secret: secret).verify(token)
        }
    }

    @Test func aRememberedTokenStillExpires() async throws {
        let verifier = await TokenVerifier(secret: secret, leeway: 30)
        let now = Date()
        let token = try await TokenMinter(secret: secret).mint(sub: "u1", expiresIn: 60, now: now)
        #expect(try await verifier.verify(token, now: now).userId == "u1")
        #expect(try await verifier.verify(token, now: now.addingTimeInterval(60)).userId == "u1")
        await #expect(throws: AuthFailure.unauthenticated("Token expired")) {
            try await verifier.verify(token, now: now.addingTimeInterval(120))
        }
        // A token that differs in any character is verified afresh (and fails).
        await #expect(throws: AuthFailure.self) { try await verifier.verify(token + "x", now: now) }
    }

    @Test func toleratesSmallClockSkew() async throws {
        let token = try await TokenMinter(secret: secret).mint(sub: "u1", expiresIn: -10)
        #expect(try await TokenVerifier(secret: secret, leeway: 30).verify(token).userId == "u1")
    }

    /// RFC 7519: a token is not accepted before its `nbf`, with the same leeway as `exp`.
    @Test func rejectsATokenThatIsNotValidYet() async throws {
        let now = Date()
        var early = Claims(sub: "u1", exp: .init(value: now.addingTimeInterval(600)))
        early.nbf = NotBeforeClaim(value: now.addingTimeInterval(300))
        let verifier = await TokenVerifier(secret: secret, leeway: 30)
        await #expect(throws: AuthFailure.unauthenticated("Token not valid yet")) { try await verifier.verify(try await sign(early), now: now) }
        var skewed = early
        skewed.nbf = NotBeforeClaim(value: now.addingTimeInterval(10))
        #expect(try await verifier.verify(try await sign(skewed), now: now).userId == "u1")
        // Once its time has come, the early token is accepted.
        #expect(try await verifier.verify(try await sign(early), now: now.addingTimeInterval(301)).userId == "u1")
    }

    @Test func rejectsABadSignature() async throws {
        let token = try await TokenMinter(secret: "another-secret-0123456789abcdef-xyz").mint(sub: "u1")
        await #expect(throws: AuthFailure.unauthenticated("Invalid token")) {
            try await TokenVerifier(secret: secret).verify(token)
        }
    }

    @Test func rejectsAlgNone() async throws {
        let header = base64URL(#"{"alg":"none","typ":"JWT"}"#)
        let payload = base64URL(#"{"sub":"u1","role":"admin","exp":\#(Int(Date().timeIntervalSince1970) + 600)}"#)
        for token in ["\(header).\(payload).", "\(header).\(payload)"] {
            await #expect(throws: AuthFailure.unauthenticated("Invalid token")) {
                try await TokenVerifier(secret: secret).verify(token)
            }
        }
    }

    @Test func rejectsATokenWithoutExp() async throws {
        let token = try await sign(NoExpiry(sub: "u1", role: "customer"))
        await #expect(throws: AuthFailure.unauthenticated("Invalid token")) {
            try await TokenVerifier(secret: secret).verify(token)
        }
    }

    @Test func rejectsGarbageAndUnknownRoles() async throws {
        let unknownRole = try await sign(Claims(sub: "u1", role: "root", exp: .init(value: Date().addingTimeInterval(60))))
        for token in ["", "abc", "a.b.c", unknownRole] {
            await #expect(throws: AuthFailure.self) { try await TokenVerifier(secret: secret).verify(token) }
        }
    }

    @Test func checksIssuerAndAudienceWhenConfigured() async throws {
        let minter = await TokenMinter(secret: secret)
        let verifier = await TokenVerifier(secret: secret, issuer: "auth-service", audience: "lomash-wood")
        let good = try await minter.mint(sub: "u1", issuer: "auth-service", audience: "lomash-wood")
        #expect(try await verifier.verify(good).userId == "u1")

        let wrongIssuer = try await minter.mint(sub: "u1", issuer: "someone-else", audience: "lomash-wood")
        await #expect(throws: AuthFailure.unauthenticated("Invalid token issuer")) { try await verifier.verify(wrongIssuer) }
        let noIssuer = try await minter.mint(sub: "u1", audience: "lomash-wood")
        await #expect(throws: AuthFailure.unauthenticated("Invalid token issuer")) { try await verifier.verify(noIssuer) }
        let wrongAudience = try await minter.mint(sub: "u1", issuer: "auth-service", audience: "other")
        await #expect(throws: AuthFailure.unauthenticated("Invalid token audience")) { try await verifier.verify(wrongAudience) }

        // Without configuration, iss and aud are not checked.
        #expect(try await TokenVerifier(secret: secret).verify(wrongIssuer).userId == "u1")
    }
}

@Suite struct RoleGuardTests {
    let customer = Principal(userId: "c", role: .customer, email: nil)
    let agent = Principal(userId: "g", role: .agent, email: nil)
    let admin = Principal(userId: "a", role: .admin, email: nil)

    @Test func anonymousCallersAreUnauthenticatedEverywhere() {
        let auth = Authentication.anonymous
        #expect(throws: AuthFailure.self) { try auth.customer() }
        #expect(isUnauthenticated { try auth.staff() })
        #expect(isUnauthenticated { try auth.admin() })
    }

    @Test func aRejectedTokenIsUnauthenticatedEvenOnCustomerRoutes() {
        let auth = Authentication.rejected("Token expired")
        #expect(isUnauthenticated { try auth.customer() })
    }

    @Test func customersAreForbiddenOnStaffAndAdminRoutes() throws {
        let auth = Authentication.authenticated(customer)
        #expect(try auth.customer() == customer)
        #expect(isForbidden { try auth.staff() })
        #expect(isForbidden { try auth.admin() })
    }

    @Test func agentsAreStaffButNotAdmins() throws {
        let auth = Authentication.authenticated(agent)
        #expect(try auth.staff() == agent)
        #expect(isForbidden { try auth.admin() })
    }

    @Test func adminsPassEveryGuard() throws {
        let auth = Authentication.authenticated(admin)
        #expect(try auth.customer() == admin)
        #expect(try auth.staff() == admin)
        #expect(try auth.admin() == admin)
    }

    func isUnauthenticated(_ body: () throws -> Principal) -> Bool {
        do { _ = try body(); return false } catch { if case .unauthenticated? = error as? AuthFailure { return true }; return false }
    }

    func isForbidden(_ body: () throws -> Principal) -> Bool {
        do { _ = try body(); return false } catch { if case .forbidden? = error as? AuthFailure { return true }; return false }
    }
}

private struct Claims: JWTPayload {
    var sub: SubjectClaim
    var role: String?
    var exp: ExpirationClaim
    var nbf: NotBeforeClaim?
    init(sub: String, role: String? = nil, exp: ExpirationClaim) {
        self.sub = SubjectClaim(value: sub)
        self.role = role
        self.exp = exp
    }
    func verify(using algorithm: some JWTAlgorithm) async throws {}
}

private struct NoExpiry: JWTPayload {
    var sub: String
    var role: String
    func verify(using algorithm: some JWTAlgorithm) async throws {}
}

private func sign(_ payload: some JWTPayload) async throws -> String {
    let keys = JWTKeyCollection()
    await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
    return try await keys.sign(payload)
}

private func base64URL(_ text: String) -> String {
    Data(text.utf8).base64EncodedString()
        .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        .replacingOccurrences(of: "=", with: "")
}
