import Contracts
import Foundation
import HTTPKit
import Hummingbird
import HummingbirdTesting
import ServiceKit
import TestSupport
import Testing

@Suite(.needsTestServers) struct EnvelopeTests {
    @Test func unknownRoutesAre404WithoutAToken() async throws {
        try await withProbe { api, root in
            for path in ["/v1/customers/nothing-here", "/v1/customers/widgets/extra/path", "/elsewhere"] {
                let answer = try await root.get(path, as: nil)
                #expect(answer.status == .notFound)
                #expect(answer.errorCode == "NOT_FOUND")
                #expect(try answer.decode([String: JSONValue].self)["success"] == .bool(false))
            }
            // A known path with an unsupported method is not a route either.
            #expect(try await api.delete("/widgets", as: nil).status == .notFound)
        }
    }

    @Test func aCustomerRouteIs401WithoutAValidToken() async throws {
        try await withProbe { api, _ in
            let anonymous = try await api.get("/widgets", as: nil)
            #expect(anonymous.status == .unauthorized)
            #expect(anonymous.errorCode == "UNAUTHORIZED")
            #expect(try await api.get("/widgets", as: nil, headers: [.authorization: "Bearer not-a-jwt"]).status == .unauthorized)
        }
    }

    @Test func anExpiredTokenIs401SayingItExpired() async throws {
        try await withProbe { api, _ in
            let expired = try await TestEnvironment.token("u1", expiresIn: -600)
            let answer = try await api.get("/widgets", as: nil, headers: [.authorization: "Bearer \(expired)"])
            #expect(answer.status == .unauthorized)
            #expect(answer.error?.message == "Token expired")
        }
    }

    @Test func anAdminRouteIs403ForACustomerAndAnswersAnAdmin() async throws {
        try await withProbe { api, _ in
            let customer = try await api.get("/admin/widgets/count", as: TestEnvironment.uniqueUser())
            #expect(customer.status == .forbidden)
            #expect(customer.errorCode == "FORBIDDEN")
            let admin = try await api.get("/admin/widgets/count", as: "admin-1", role: .admin)
            #expect(admin.status == .ok)
            #expect(try admin.data([String: Int].self)["count"] == 0)
        }
    }

    @Test func aCreatedResourceComesInTheSuccessEnvelope() async throws {
        try await withProbe { api, _ in
            let created = try await api.post("/widgets", as: TestEnvironment.uniqueUser(), body: ["name": "oak", "size": 3, "tags": ["a", "b"]])
            #expect(created.status == .created)
            #expect(try created.decode([String: JSONValue].self)["success"] == .bool(true))
            // `id` decodes as a UUID or the widget does not decode at all.
            let widget = try created.data(ProbeService.Widget.self)
            #expect(widget.name == "oak")
            #expect(widget.size == 3)
            #expect(widget.tags == ["a", "b"])
        }
    }

    @Test func aUniqueViolationIs409Conflict() async throws {
        try await withProbe { api, _ in
            let user = TestEnvironment.uniqueUser()
            let body: JSONValue = ["name": "oak", "size": 3, "tags": ["a", "b"]]
            #expect(try await api.post("/widgets", as: user, body: body).status == .created)
            let again = try await api.post("/widgets", as: user, body: body)
            #expect(again.status == .conflict)
            #expect(again.errorCode == "CONFLICT")
        }
    }

    @Test func strictBodiesList422DetailsPerField() async throws {
        try await withProbe { api, _ in
            let user = TestEnvironment.uniqueUser()
            let answer = try await api.post("/widgets", as: user, body: ["size": "big", "colour": "red", "tags": ["ok", "much-too-long-tag"]])
            #expect(answer.status == .unprocessableContent)
            #expect(answer.errorCode == "VALIDATION_ERROR")
            let details = answer.errorDetails
            #expect(Set(details.keys) == ["name", "size", "colour", "tags"])
            #expect(details["name"] == "name is required")
            #expect(details["colour"] == "colour is not an accepted field")
            // Nothing was written.
            #expect(try await api.get("/widgets", as: user).meta().total == 0)
        }
    }

    @Test func malformedJSONIs400() async throws {
        try await withProbe { api, _ in
            let user = TestEnvironment.uniqueUser()
            for text in [#"{"name": "oak", "#, "not json", "[1,2]"] {
                let answer = try await api.send(.post, "/widgets", as: user, json: text)
                #expect(answer.status == .badRequest, "\(text)")
                #expect(answer.errorCode == "BAD_REQUEST", "\(text)")
            }
        }
    }

    @Test func aBodyThatIsNotDeclaredJSONIs400() async throws {
        try await withProbe { api, _ in
            let answer = try await api.send(
                .post, "/widgets", as: TestEnvironment.uniqueUser(), json: #"{"name":"x","size":1}"#, headers: [.contentType: "text/plain"])
            #expect(answer.status == .badRequest)
        }
    }

    /// CONTRACT §1: a body with the same key twice is a 400, and nothing is written.
    @Test func aBodyWithADuplicateKeyIs400() async throws {
        try await withProbe { api, _ in
            let user = TestEnvironment.uniqueUser()
            for text in [#"{"name":"oak","size":1,"name":"pine"}"#, #"{"name":"oak","size":1,"n\u0061me":"pine"}"#] {
                let answer = try await api.send(.post, "/widgets", as: user, json: text)
                #expect(answer.status == .badRequest, "\(text)")
                #expect(answer.errorCode == "BAD_REQUEST")
                #expect(answer.error?.message == #"Duplicate key "name" in the JSON body"#)
            }
            // The same key in two different objects is fine.
            #expect(try await api.post("/widgets", as: user, body: ["name": "oak-\(UUID())", "size": 1, "tags": ["a"]]).status == .created)
            #expect(try await api.get("/widgets", as: user).meta().total == 1)
        }
    }

    /// CONTRACT §1: an answer to a request with credentials is never stored by a cache (and
    /// says nosniff, as every response does).
    @Test func answersToRequestsWithCredentialsAreNoStore() async throws {
        try await withProbe { api, _ in
            let user = TestEnvironment.uniqueUser()
            let requests: [(path: String, user: String?, headers: HTTPFields)] = [
                ("/widgets", user, [:]), ("/nothing", user, [:]), ("/widgets", nil, [.authorization: "Bearer junk"]),
            ]
            for request in requests {
                let answer = try await api.get(request.path, as: request.user, headers: request.headers)
                #expect(answer.headers[.cacheControl] == "no-store", "\(request.path)")
                #expect(answer.headers[.contentTypeOptions] == "nosniff", "\(request.path)")
            }
        }
    }

    /// CONTRACT §1: every response says nosniff, also one to a request without credentials,
    /// which is not marked no-store.
    @Test func everyAnswerSaysNosniff() async throws {
        try await withProbe { _, root in
            for path in ["/health", "/v1/customers/nothing"] {
                let answer = try await root.get(path, as: nil)
                #expect(answer.headers[.cacheControl] == nil, "\(path)")
                #expect(answer.headers[.contentTypeOptions] == "nosniff", "\(path)")
            }
        }
    }

    /// A chunked body whose framing breaks (a chunk size that is not hex) is the client's
    /// fault: 400 in the envelope, not a 500.
    @Test func malformedChunkedFramingIs400() async throws {
        try await withTestService(ProbeService.self, setup: .live) { api, _ in
            let port = try #require(api.port)
            let token = try await TestEnvironment.token(TestEnvironment.uniqueUser())
            let request =
                "POST /v1/customers/widgets HTTP/1.1\r\nHost: probe\r\nAuthorization: Bearer \(token)\r\n"
                + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                + "5\r\n{\"nam\r\nZZ\r\nxx\r\n0\r\n\r\n"
            let answer = try await rawHTTP(port: port, Array(request.utf8))
            #expect(answer.hasPrefix("HTTP/1.1 400"), "\(answer)")
            #expect(answer.contains(#""code":"BAD_REQUEST""#), "\(answer)")
        }
    }

    @Test func bodiesOver64KiBAre413() async throws {
        try await withProbe { api, _ in
            let user = TestEnvironment.uniqueUser()
            let big = #"{"name":""# + String(repeating: "x", count: 70_000) + #"","size":1}"#
            // Declared length: refused before reading. Undeclared: cut off while reading.
            for headers: HTTPFields in [[.contentLength: String(big.utf8.count)], [:]] {
                let answer = try await api.send(.post, "/widgets", as: user, json: big, headers: headers)
                #expect(answer.status == .contentTooLarge)
                #expect(answer.errorCode == "PAYLOAD_TOO_LARGE")
            }
        }
    }

    @Test func aRequestIdIsEchoedInTheHeaderAndTheErrorEnvelope() async throws {
        try await withProbe { api, _ in
            let answer = try await api.get("/none", as: nil, headers: [.requestId: "trace-abc-123"])
            #expect(answer.headers[.requestId] == "trace-abc-123")
            #expect(answer.requestId == "trace-abc-123")
        }
    }

    @Test func aRequestWithoutAnIdIsGivenOne() async throws {
        try await withProbe { _, root in
            let minted = try #require(try await root.get("/health", as: nil).headers[.requestId])
            #expect(minted.count >= 16)
        }
    }

    /// An id with characters that do not belong in logs is replaced.
    @Test func aRequestIdWithControlCharactersIsReplaced() async throws {
        try await withProbe { _, root in
            let answer = try await root.get("/health", as: nil, headers: [.requestId: "bad id\u{7f}"])
            #expect(answer.headers[.requestId] != "bad id\u{7f}")
        }
    }

    @Test func unexpectedErrorsAreAGeneric500() async throws {
        try await withProbe { api, _ in
            let answer = try await api.get("/boom", as: nil, headers: [.requestId: "req-500"])
            #expect(answer.status == .internalServerError)
            #expect(answer.errorCode == "INTERNAL_ERROR")
            #expect(answer.requestId == "req-500")
            #expect(!answer.text.contains("secret_table") && !answer.text.contains("SQLSTATE"))
        }
    }

    @Test func healthNamesTheServiceItsVersionAndUptime() async throws {
        try await withProbe { _, root in
            let answer = try await root.get("/health", as: nil)
            #expect(answer.status == .ok)
            // `uptimeSeconds` decodes as an Int or the answer does not decode at all.
            let health = try answer.decode(Health.self)
            #expect(health.status == "ok")
            #expect(health.service == "probe")
            #expect(health.version == BuildVersion.current.description)
        }
    }

    @Test func readinessReportsEachDependency() async throws {
        try await withProbe { _, root in
            let answer = try await root.get("/health/ready", as: nil)
            #expect(answer.status == .ok)
            let ready = try answer.decode(Readiness.self)
            #expect(ready.status == "ok")
            #expect(ready.checks == ["database": "ok", "redis": "ok", "kafka": "disabled"])
        }
    }

    @Test func metricsArePrometheusText() async throws {
        try await withProbe { _, root in
            let answer = try await root.get("/metrics", as: nil)
            #expect(answer.status == .ok)
            #expect(answer.text.contains("http_requests_total"))
        }
    }

    @Test func readinessIsDegradedWithoutRedisAndCachedReadsStillWork() async throws {
        let redis = try await ChildProcess.redis()
        try await withProbe(overrides: ["REDIS_URL": redis.url]) { api, root in
            redis.stop()
            let answer = try await root.get("/health/ready", as: nil)
            #expect(answer.status == .ok)
            let ready = try answer.decode(Readiness.self)
            #expect(ready.status == "degraded")
            #expect(ready.checks["redis"] == "down")
            let started = ContinuousClock.now
            let cached = try await api.get("/cached/k1", as: nil)
            #expect(cached.status == .ok)
            #expect(try cached.data([String: String].self)["value"] == "loaded-k1")
            #expect(ContinuousClock.now - started < .seconds(1))
        }
    }
}
