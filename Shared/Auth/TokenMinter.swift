import JWTKit

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Signs tokens the way the auth-service does. For tests, load tools and `scripts/token`;
/// production tokens come from the auth-service.
public struct TokenMinter: Sendable {
    private let keys: JWTKeyCollection

    public init(secret: String) async {
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        self.keys = keys
    }

    public func mint(
        sub: String,
        role: Role = .customer,
        email: String? = nil,
        expiresIn: TimeInterval = 3600,
        issuer: String? = nil,
        audience: String? = nil,
        now: Date = Date()
    ) async throws -> String {
        let claims = TokenClaims(
            sub: SubjectClaim(value: sub),
            role: role.rawValue,
            exp: ExpirationClaim(value: now.addingTimeInterval(expiresIn)),
            email: email,
            iat: IssuedAtClaim(value: now),
            iss: issuer.map { IssuerClaim(value: $0) },
            aud: audience.map { AudienceClaim(value: [$0]) }
        )
        return try await keys.sign(claims)
    }
}
