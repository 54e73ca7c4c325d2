import Foundation
import Hummingbird
import HummingbirdTesting
@testable import profiles
import Testing
import TestSupport

@Suite struct AddressRoutesTests {
    func create(_ client: any TestClientProtocol, _ token: String, _ body: String) async throws -> (HTTPResponse.Status, [String: Any]) {
        try await client.execute(uri: "/v1/customers/addresses", method: .post, headers: bearer(token, jsonHeaders), body: jsonBody(body)) { r in
            (r.status, (try? r.json()) ?? [:])
        }
    }

    func list(_ client: any TestClientProtocol, _ token: String) async throws -> [[String: Any]] {
        try await client.execute(uri: "/v1/customers/addresses", method: .get, headers: bearer(token)) { r in
            (try r.json()["data"] as? [[String: Any]]) ?? []
        }
    }

    @Test(arguments: [("SW1A 1AA", "SW1A 1AA"), ("M1 1AE", "M1 1AE"), ("sw1a1aa", "SW1A 1AA"), (" b33 8th ", "B33 8TH"), ("GIR0AA", "GIR 0AA")])
    func ukPostcodesAreNormalised(input: String, stored: String) async throws {
        try await withTestService(ProfilesService.self) { client, _ in
            let token = try await TestEnvironment.token(TestEnvironment.uniqueUser())
            let (status, json) = try await create(client, token, #"{"line1":"1 Street","city":"London","postcode":"\#(input)"}"#)
            #expect(status == .created)
            #expect((json["data"] as? [String: Any])?["postcode"] as? String == stored)
        }
    }

    @Test func invalidAddressesAre422() async throws {
        try await withTestService(ProfilesService.self) { client, _ in
            let token = try await TestEnvironment.token(TestEnvironment.uniqueUser())
            for postcode in ["INVALID", "12345"] {
                let (status, json) = try await create(client, token, #"{"line1":"1 Street","city":"London","postcode":"\#(postcode)"}"#)
                #expect(status == .unprocessableContent)
                #expect(((json["error"] as? [String: Any])?["details"] as? [[String: Any]])?.first?["field"] as? String == "postcode")
            }
            let (status, json) = try await create(client, token, #"{"label":"","city":"","postcode":"75001","country":"France","extra":1}"#)
            #expect(status == .unprocessableContent)
            let fields = Set(((json["error"] as? [String: Any])?["details"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String })
            #expect(fields == ["label", "line1", "city", "country", "extra"])
            // Other countries: 3–10 letters, digits, spaces or dashes, kept as sent.
            let (fr, frJSON) = try await create(client, token, #"{"line1":"1 rue","city":"Paris","postcode":"75001","country":"fr"}"#)
            #expect(fr == .created)
            #expect((frJSON["data"] as? [String: Any])?["country"] as? String == "FR")
        }
    }

    @Test func exactlyOnePrimaryThroughCreateUpdateAndDelete() async throws {
        try await withTestService(ProfilesService.self) { client, _ in
            let token = try await TestEnvironment.token(TestEnvironment.uniqueUser())
            func primaries() async throws -> [String] {
                try await list(client, token).filter { $0["isPrimary"] as? Bool == true }.compactMap { $0["label"] as? String }
            }
            let (_, a) = try await create(client, token, #"{"label":"A","line1":"1","city":"C","postcode":"M1 1AE"}"#)
            #expect((a["data"] as? [String: Any])?["isPrimary"] as? Bool == true)
            _ = try await create(client, token, #"{"label":"B","line1":"2","city":"C","postcode":"M1 1AE"}"#)
            #expect(try await primaries() == ["A"])
            let (_, c) = try await create(client, token, #"{"label":"C","line1":"3","city":"C","postcode":"M1 1AE","isPrimary":true}"#)
            #expect(try await primaries() == ["C"])
            #expect(try await list(client, token).first?["label"] as? String == "C")

            let aId = try #require((a["data"] as? [String: Any])?["id"] as? String)
            let cId = try #require((c["data"] as? [String: Any])?["id"] as? String)
            try await client.execute(uri: "/v1/customers/addresses/\(aId)", method: .patch, headers: bearer(token, jsonHeaders), body: jsonBody(#"{"isPrimary":true,"line2":"Flat 1"}"#)) { (r: TestResponse) async throws in
                #expect(r.status == .ok)
                #expect((try r.json()["data"] as? [String: Any])?["line2"] as? String == "Flat 1")
            }
            #expect(try await primaries() == ["A"])
            try await client.execute(uri: "/v1/customers/addresses/\(aId)", method: .patch, headers: bearer(token, jsonHeaders), body: jsonBody(#"{"isPrimary":false}"#)) { (r: TestResponse) async throws in
                #expect(r.status == .unprocessableContent)
            }
            // Deleting the primary promotes the most recently created remaining address (C).
            try await client.execute(uri: "/v1/customers/addresses/\(aId)", method: .delete, headers: bearer(token)) { (r: TestResponse) async throws in
                #expect(r.status == .noContent)
                #expect(r.body.readableBytes == 0)
            }
            #expect(try await primaries() == ["C"])
            try await client.execute(uri: "/v1/customers/addresses/\(cId)", method: .delete, headers: bearer(token)) { (r: TestResponse) async throws in
                #expect(r.status == .noContent)
            }
            #expect(try await primaries() == ["B"])
        }
    }

    @Test func theEleventhAddressIs422AndOthersAddressesAre404() async throws {
        try await withTestService(ProfilesService.self) { client, _ in
            let token = try await TestEnvironment.token(TestEnvironment.uniqueUser())
            for i in 1...10 {
                let (status, _) = try await create(client, token, #"{"label":"\#(i)","line1":"1","city":"C","postcode":"M1 1AE"}"#)
                #expect(status == .created)
            }
            let (status, json) = try await create(client, token, #"{"label":"11","line1":"1","city":"C","postcode":"M1 1AE"}"#)
            #expect(status == .unprocessableContent)
            #expect(((json["error"] as? [String: Any])?["details"] as? [[String: Any]])?.first?["field"] as? String == "addresses")
            #expect(try await list(client, token).count == 10)

            let mine = try #require(try await list(client, token).first?["id"] as? String)
            let stranger = try await TestEnvironment.token(TestEnvironment.uniqueUser())
            for (method, body) in [(HTTPRequest.Method.patch, #"{"city":"X"}"#), (.delete, "")] {
                try await client.execute(uri: "/v1/customers/addresses/\(mine)", method: method, headers: bearer(stranger, jsonHeaders), body: jsonBody(body)) { (r: TestResponse) async throws in
                    #expect(r.status == .notFound)
                }
                try await client.execute(uri: "/v1/customers/addresses/not-a-uuid", method: method, headers: bearer(token, jsonHeaders), body: jsonBody(body)) { (r: TestResponse) async throws in
                    #expect(r.status == .notFound)
                }
            }
            #expect(try await list(client, stranger).isEmpty)
        }
    }
}
