import Auth
import Crypto
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

    /// CONTRACT §1: a `sub` is 1–128 bytes of UTF-8 without control characters or white space.
    @Test(arguments: [
        "", "user\u{0}x", "user\r\nx", "user x", "user\tx", "user\u{85}x", "user\u{2028}x", "user\u{3000}x",
        String(repeating: "a", count: 129), String(repeating: "\u{E9}", count: 65),
    ])
    func rejectsASubjectTheContractDoesNotAllow(sub: String) async throws {
        let token = try await TokenMinter(secret: secret).mint(sub: sub)
        await #expect(throws: AuthFailure.unauthenticated("Invalid token subject")) { try await TokenVerifier(secret: secret).verify(token) }
    }

    @Test(arguments: [String(repeating: "a", count: 128), String(repeating: "\u{E9}", count: 64), "auth0|5f2c", "sec-\u{212A}123", "cafe\u{301}"])
    func acceptsAnySubjectOfUpTo128Bytes(sub: String) async throws {
        let token = try await TokenMinter(secret: secret).mint(sub: sub)
        let principal = try await TokenVerifier(secret: secret).verify(token)
        #expect(Array(principal.userId.utf8) == Array(sub.utf8))
    }

    /// A decoder ignores the unused low bits of a part's last base64url character, so each part
    /// could be written several ways; only the canonical one is accepted. The altered header or
    /// payload is signed again, so only the spelling is wrong.
    @Test func rejectsANonCanonicalSpellingOfAnyPart() async throws {
        let verifier = await TokenVerifier(secret: secret)
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        /// The part with its last character's lowest bit flipped: the decoded bytes stay the same.
        func respelt(_ part: String) -> String {
            String(part.dropLast()) + String(alphabet[alphabet.firstIndex(of: part.last!)! ^ 1])
        }
        func signed(_ header: String, _ payload: String) -> String {
            let signature = HMAC<SHA256>.authenticationCode(for: Data("\(header).\(payload)".utf8), using: SymmetricKey(data: Data(secret.utf8)))
            return "\(header).\(payload).\(base64URL(Data(signature)))"
        }
        // Lengths whose last character has unused bits: 2 or 3 modulo 4.
        var sub = "u1"
        while base64URL(Data(#"{"sub":"\#(sub)","exp":4102444800}"#.utf8)).count % 4 < 2 { sub += "x" }
        let header = base64URL(Data(#"{"alg":"HS256", "typ":"JWT"}"#.utf8))
        let payload = base64URL(Data(#"{"sub":"\#(sub)","exp":4102444800}"#.utf8))
        #expect(header.count % 4 >= 2)
        let canonical = signed(header, payload)
        #expect(try await verifier.verify(canonical).userId == sub)
        for token in [signed(respelt(header), payload), signed(header, respelt(payload))] {
            await #expect(throws: AuthFailure.unauthenticated("Invalid token")) { try await verifier.verify(token) }
        }
        let parts = canonical.split(separator: ".").map(String.init)
        #expect(parts[2].count % 4 == 3)  // 32 bytes: 43 characters, the last with 2 unused bits
        await #expect(throws: AuthFailure.unauthenticated("Invalid token")) {
            try await verifier.verify("\(parts[0]).\(parts[1]).\(respelt(parts[2]))")
        }
        // Padding and characters outside base64url are refused too.
        await #expect(throws: AuthFailure.unauthenticated("Invalid token")) { try await verifier.verify(canonical + "=") }
        await #expect(throws: AuthFailure.unauthenticated("Invalid token")) {
            try await verifier.verify("\(parts[0]).\(parts[1]).+\(parts[2].dropFirst())")
        }
    }

    @Test func ownershipComparesUserIdsByteForByte() {
        let nfc = Principal(userId: "caf\u{E9}", role: .customer)
        let kelvin = Principal(userId: "sec-\u{212A}123", role: .customer)
        #expect("caf\u{E9}" == "cafe\u{301}")  // what Swift's String says
        #expect(!nfc.owns("cafe\u{301}") && nfc.owns("caf\u{E9}"))
        #expect(!kelvin.owns("sec-K123") && kelvin.owns("sec-\u{212A}123"))
        #expect(nfc != Principal(userId: "cafe\u{301}", role: .customer))
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
        do {
            _ = try body()
            return false
        } catch {
            if case .unauthenticated? = error as? AuthFailure { return true }
            return false
        }
    }

    func isForbidden(_ body: () throws -> Principal) -> Bool {
        do {
            _ = try body()
            return false
        } catch {
            if case .forbidden? = error as? AuthFailure { return true }
            return false
        }
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
    base64URL(Data(text.utf8))
}

private func base64URL(_ data: Data) -> String {
    data.base64EncodedString()
        .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        .replacingOccurrences(of: "=", with: "")
}
