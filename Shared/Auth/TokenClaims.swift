import JWTKit

/// The claims the auth-service signs. `exp` is required: a token without it does not decode.
struct TokenClaims: JWTPayload {
    var sub: SubjectClaim
    var role: String?
    var exp: ExpirationClaim
    var email: String?
    var iat: IssuedAtClaim?
    var nbf: NotBeforeClaim?
    var iss: IssuerClaim?
    var aud: AudienceClaim?

    /// Signature and structure are checked by jwt-kit; claim rules live in `TokenVerifier`,
    /// which knows the configured issuer, audience and leeway.
    func verify(using algorithm: some JWTAlgorithm) async throws {}
}
