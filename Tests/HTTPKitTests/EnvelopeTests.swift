import Foundation
import HummingbirdTesting
import ServiceKit
import Testing
import TestSupport

@Suite struct EnvelopeTests {
    @Test func unknownRoutesAre404WithoutAToken() async throws {
        try await withTestService(ProbeService.self) { client, _ in
            for path in ["/v1/customers/nothing-here", "/v1/customers/widgets/extra/path", "/elsewhere"] {
                try await client.execute(uri: path, method: .get) { (response: TestResponse) async throws in
                    #expect(response.status == .notFound)
                    #expect(try response.errorCode() == "NOT_FOUND")
                    #expect(try response.json()["success"] as? Bool == false)
                }
            }
            // A known path with an unsupported method is not a route either.
            try await client.execute(uri: "/v1/customers/widgets", method: .delete) { (response: TestResponse) async throws in
                #expect(response.status == .notFound)
            }
        }
    }

    @Test func customerRoutesAre401WithoutOrWithABadTokenAnd403ForTheWrongRole() async throws {
        try await withTestService(ProbeService.self) { client, _ in
            try await client.execute(uri: "/v1/customers/widgets", method: .get) { (response: TestResponse) async throws in
                #expect(response.status == .unauthorized)
                #expect(try response.errorCode() == "UNAUTHORIZED")
            }
            try await client.execute(uri: "/v1/customers/widgets", method: .get, headers: bearer("not-a-jwt")) { (response: TestResponse) async throws in
                #expect(response.status == .unauthorized)
            }
            let expired = try await TestEnvironment.token("u1", expiresIn: -600)
            try await client.execute(uri: "/v1/customers/widgets", method: .get, headers: bearer(expired)) { (response: TestResponse) async throws in
                #expect(response.status == .unauthorized)
                #expect(try (response.json()["error"] as? [String: Any])?["message"] as? String == "Token expired")
            }
            let customer = try await TestEnvironment.token(TestEnvironment.uniqueUser())
            try await client.execute(uri: "/v1/customers/admin/widgets/count", method: .get, headers: bearer(customer)) { (response: TestResponse) async throws in
                #expect(response.status == .forbidden)
                #expect(try response.errorCode() == "FORBIDDEN")
            }
            let admin = try await TestEnvironment.token("admin-1", role: .admin)
            try await client.execute(uri: "/v1/customers/admin/widgets/count", method: .get, headers: bearer(admin)) { (response: TestResponse) async throws in
                #expect(response.status == .ok)
                #expect(try (response.json()["data"] as? [String: Any])?["count"] as? Int == 0)
            }
        }
    }

    @Test func successEnvelopeAndUniqueViolationAs409() async throws {
        try await withTestService(ProbeService.self) { client, _ in
            let token = try await TestEnvironment.token(TestEnvironment.uniqueUser())
            let body = jsonBody(#"{"name":"oak","size":3,"tags":["a","b"]}"#)
            try await client.execute(uri: "/v1/customers/widgets", method: .post, headers: bearer(token, jsonHeaders), body: body) { (response: TestResponse) async throws in
                #expect(response.status == .created)
                let json = try response.json()
                #expect(json["success"] as? Bool == true)
                let data = try #require(json["data"] as? [String: Any])
                #expect(data["name"] as? String == "oak")
                #expect(data["size"] as? Int == 3)
                #expect(data["tags"] as? [String] == ["a", "b"])
                #expect(UUID(uuidString: data["id"] as? String ?? "") != nil)
            }
            try await client.execute(uri: "/v1/customers/widgets", method: .post, headers: bearer(token, jsonHeaders), body: body) { (response: TestResponse) async throws in
                #expect(response.status == .conflict)
                #expect(try response.errorCode() == "CONFLICT")
            }
        }
    }

    @Test func strictBodiesList422DetailsPerField() async throws {
        try await withTestService(ProbeService.self) { client, _ in
            let token = try await TestEnvironment.token(TestEnvironment.uniqueUser())
            let body = jsonBody(#"{"size":"big","colour":"red","tags":["ok","much-too-long-tag"]}"#)
            try await client.execute(uri: "/v1/customers/widgets", method: .post, headers: bearer(token, jsonHeaders), body: body) { (response: TestResponse) async throws in
                #expect(response.status == .unprocessableContent)
                #expect(try response.errorCode() == "VALIDATION_ERROR")
                let details = try response.errorDetails()
                #expect(Set(details.keys) == ["name", "size", "colour", "tags"])
                #expect(details["name"] == "name is required")
                #expect(details["colour"] == "colour is not an accepted field")
            }
            // Nothing was written.
            try await client.execute(uri: "/v1/customers/widgets", method: .get, headers: bearer(token)) { (response: TestResponse) async throws in
                #expect((try response.json()["meta"] as? [String: Any])?["total"] as? Int == 0)
            }
        }
    }

    @Test func malformedJSONAndWrongContentTypeAre400() async throws {
        try await withTestService(ProbeService.self) { client, _ in
            let token = try await TestEnvironment.token(TestEnvironment.uniqueUser())
            for text in [#"{"name": "oak", "#, "not json", "[1,2]"] {
                try await client.execute(uri: "/v1/customers/widgets", method: .post, headers: bearer(token, jsonHeaders), body: jsonBody(text)) { (response: TestResponse) async throws in
                    #expect(response.status == .badRequest)
                    #expect(try response.errorCode() == "BAD_REQUEST")
                }
            }
            try await client.execute(
                uri: "/v1/customers/widgets", method: .post, headers: bearer(token, [.contentType: "text/plain"]),
                body: jsonBody(#"{"name":"x","size":1}"#)
            ) { (response: TestResponse) async throws in
                #expect(response.status == .badRequest)
            }
        }
    }

    /// CONTRACT §1: a body with the same key twice is a 400, and nothing is written.
    @Test func aBodyWithADuplicateKeyIs400() async throws {
        try await withTestService(ProbeService.self) { client, _ in
            let token = try await TestEnvironment.token(TestEnvironment.uniqueUser())
            for text in [#"{"name":"oak","size":1,"name":"pine"}"#, #"{"name":"oak","size":1,"n\u0061me":"pine"}"#] {
                try await client.execute(uri: "/v1/customers/widgets", method: .post, headers: bearer(token, jsonHeaders), body: jsonBody(text)) { (response: TestResponse) async throws in
                    #expect(response.status == .badRequest, "\(text)")
                    #expect(try response.errorCode() == "BAD_REQUEST")
                    #expect(try (response.json()["error"] as? [String: Any])?["message"] as? String == #"Duplicate key "name" in the JSON body"#)
                }
            }
            // The same key in two different objects is fine.
            let nested = jsonBody(#"{"name":"oak-\#(UUID())","size":1,"tags":["a"]}"#)
            try await client.execute(uri: "/v1/customers/widgets", method: .post, headers: bearer(token, jsonHeaders), body: nested) { (response: TestResponse) async throws in
                #expect(response.status == .created)
            }
            try await client.execute(uri: "/v1/customers/widgets", method: .get, headers: bearer(token)) { (response: TestResponse) async throws in
                #expect((try response.json()["meta"] as? [String: Any])?["total"] as? Int == 1)
            }
        }
    }

    /// CONTRACT §1: every response says nosniff; an answer to a request with credentials is
    /// never stored by a cache.
    @Test func securityHeaders() async throws {
        try await withTestService(ProbeService.self) { client, _ in
            let token = try await TestEnvironment.token(TestEnvironment.uniqueUser())
            for (uri, headers) in [("/v1/customers/widgets", bearer(token)), ("/v1/customers/nothing", bearer(token)), ("/v1/customers/widgets", bearer("junk"))] {
                try await client.execute(uri: uri, method: .get, headers: headers) { (response: TestResponse) async throws in
                    #expect(response.headers[.cacheControl] == "no-store", "\(uri)")
                    #expect(response.headers[.contentTypeOptions] == "nosniff", "\(uri)")
                }
            }
            for uri in ["/health", "/v1/customers/nothing"] {
                try await client.execute(uri: uri, method: .get) { (response: TestResponse) async throws in
                    #expect(response.headers[.cacheControl] == nil, "\(uri)")
                    #expect(response.headers[.contentTypeOptions] == "nosniff", "\(uri)")
                }
            }
        }
    }

    /// A chunked body whose framing breaks (a chunk size that is not hex) is the client's
    /// fault: 400 in the envelope, not a 500.
    @Test func malformedChunkedFramingIs400() async throws {
        try await withTestService(ProbeService.self, setup: .live) { client, _ in
            let port = try #require(client.port)
            let token = try await TestEnvironment.token(TestEnvironment.uniqueUser())
            let request = "POST /v1/customers/widgets HTTP/1.1\r\nHost: probe\r\nAuthorization: Bearer \(token)\r\n"
                + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                + "5\r\n{\"nam\r\nZZ\r\nxx\r\n0\r\n\r\n"
            let answer = try await rawHTTP(port: port, Array(request.utf8))
            #expect(answer.hasPrefix("HTTP/1.1 400"), "\(answer)")
            #expect(answer.contains(#""code":"BAD_REQUEST""#), "\(answer)")
        }
    }

    @Test func bodiesOver64KiBAre413() async throws {
        try await withTestService(ProbeService.self) { client, _ in
            let token = try await TestEnvironment.token(TestEnvironment.uniqueUser())
            let big = #"{"name":""# + String(repeating: "x", count: 70_000) + #"","size":1}"#
            // Declared length: refused before reading. Undeclared: cut off while reading.
            var declared = bearer(token, jsonHeaders)
            declared[.contentLength] = String(big.utf8.count)
            for headers in [declared, bearer(token, jsonHeaders)] {
                try await client.execute(uri: "/v1/customers/widgets", method: .post, headers: headers, body: jsonBody(big)) { (response: TestResponse) async throws in
                    #expect(response.status == .contentTooLarge)
                    #expect(try response.errorCode() == "PAYLOAD_TOO_LARGE")
                }
            }
        }
    }

    @Test func requestIdIsEchoedOrMinted() async throws {
        try await withTestService(ProbeService.self) { client, _ in
            try await client.execute(uri: "/v1/customers/none", method: .get, headers: [.requestId: "trace-abc-123"]) { (response: TestResponse) async throws in
                #expect(response.headers[.requestId] == "trace-abc-123")
                #expect(try response.json()["requestId"] as? String == "trace-abc-123")
            }
            try await client.execute(uri: "/health", method: .get) { (response: TestResponse) async throws in
                let minted = try #require(response.headers[.requestId])
                #expect(minted.count >= 16)
            }
            // An id with characters that do not belong in logs is replaced.
            try await client.execute(uri: "/health", method: .get, headers: [.requestId: "bad id\u{7f}"]) { (response: TestResponse) async throws in
                #expect(response.headers[.requestId] != "bad id\u{7f}")
            }
        }
    }

    @Test func unexpectedErrorsAreAGeneric500() async throws {
        try await withTestService(ProbeService.self) { client, _ in
            try await client.execute(uri: "/v1/customers/boom", method: .get, headers: [.requestId: "req-500"]) { (response: TestResponse) async throws in
                #expect(response.status == .internalServerError)
                let json = try response.json()
                #expect(try response.errorCode() == "INTERNAL_ERROR")
                #expect(json["requestId"] as? String == "req-500")
                let text = String(buffer: response.body)
                #expect(!text.contains("secret_table") && !text.contains("SQLSTATE"))
            }
        }
    }

    @Test func healthReadinessAndMetrics() async throws {
        try await withTestService(ProbeService.self) { client, _ in
            try await client.execute(uri: "/health", method: .get) { (response: TestResponse) async throws in
                #expect(response.status == .ok)
                let json = try response.json()
                #expect(json["status"] as? String == "ok")
                #expect(json["service"] as? String == "probe")
                #expect(json["version"] as? String == PlatformVersion.current)
                #expect(json["uptimeSeconds"] is Int)
            }
            try await client.execute(uri: "/health/ready", method: .get) { (response: TestResponse) async throws in
                #expect(response.status == .ok)
                let json = try response.json()
                #expect(json["status"] as? String == "ok")
                #expect(json["checks"] as? [String: String] == ["database": "ok", "redis": "ok", "kafka": "disabled"])
            }
            try await client.execute(uri: "/metrics", method: .get) { (response: TestResponse) async throws in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("http_requests_total"))
            }
        }
    }

    @Test func readinessIsDegradedWithoutRedisAndCachedReadsStillWork() async throws {
        let redis = try await ChildProcess.redis()
        try await withTestService(ProbeService.self, overrides: ["REDIS_URL": redis.url]) { client, _ in
            redis.stop()
            try await client.execute(uri: "/health/ready", method: .get) { (response: TestResponse) async throws in
                #expect(response.status == .ok)
                let json = try response.json()
                #expect(json["status"] as? String == "degraded")
                #expect((json["checks"] as? [String: String])?["redis"] == "down")
            }
            let started = ContinuousClock.now
            try await client.execute(uri: "/v1/customers/cached/k1", method: .get) { (response: TestResponse) async throws in
                #expect(response.status == .ok)
                #expect((try response.json()["data"] as? [String: Any])?["value"] as? String == "loaded-k1")
            }
            #expect(ContinuousClock.now - started < .seconds(1))
        }
    }
}
