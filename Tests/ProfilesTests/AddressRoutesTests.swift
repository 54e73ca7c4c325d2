import Contracts
import Foundation
import Hummingbird
import TestSupport
import Testing

@testable import profiles

@Suite(.needsTestServers) struct AddressRoutesTests {
    /// A valid address labelled `label` (primary when `primary` says so).
    static func address(_ label: String, primary: Bool? = nil) -> JSONValue {
        var fields: [String: JSONValue] = ["label": .string(label), "line1": "1", "city": "C", "postcode": "M1 1AE"]
        if let primary { fields["isPrimary"] = .bool(primary) }
        return .object(fields)
    }

    func list(_ api: API, _ user: String) async throws -> [Address] {
        try await api.get("/addresses", as: user).data([Address].self)
    }

    /// The labels of the customer's primary addresses (there must be exactly one).
    func primaries(_ api: API, _ user: String) async throws -> [String] {
        try await list(api, user).filter(\.isPrimary).map(\.label)
    }

    /// Addresses A, B and C, in that order; C asked to be primary. Returns their ids.
    func threeAddresses(_ api: API, _ user: String) async throws -> (a: UUID, b: UUID, c: UUID) {
        let a = try await api.post("/addresses", as: user, body: Self.address("A")).data(Address.self)
        let b = try await api.post("/addresses", as: user, body: Self.address("B")).data(Address.self)
        let c = try await api.post("/addresses", as: user, body: Self.address("C", primary: true)).data(Address.self)
        return (a.id, b.id, c.id)
    }

    @Test(arguments: [("SW1A 1AA", "SW1A 1AA"), ("M1 1AE", "M1 1AE"), ("sw1a1aa", "SW1A 1AA"), (" b33 8th ", "B33 8TH"), ("GIR0AA", "GIR 0AA")])
    func ukPostcodesAreNormalised(input: String, stored: String) async throws {
        try await withTestService(ProfilesService.self) { api, _ in
            let created = try await api.post(
                "/addresses", as: TestEnvironment.uniqueUser(), body: ["line1": "1 Street", "city": "London", "postcode": .string(input)])
            #expect(created.status == .created)
            #expect(try created.data(Address.self).postcode == stored)
        }
    }

    @Test func aUKPostcodeThatIsNotOneIsRefused() async throws {
        try await withTestService(ProfilesService.self) { api, _ in
            let user = TestEnvironment.uniqueUser()
            for postcode in ["INVALID", "12345"] {
                let refused = try await api.post(
                    "/addresses", as: user, body: ["line1": "1 Street", "city": "London", "postcode": .string(postcode)])
                #expect(refused.status == .unprocessableContent)
                #expect(refused.error?.details?.first?.field == "postcode")
            }
        }
    }

    @Test func everyInvalidFieldIsListed() async throws {
        try await withTestService(ProfilesService.self) { api, _ in
            let refused = try await api.post(
                "/addresses", as: TestEnvironment.uniqueUser(),
                body: ["label": "", "city": "", "postcode": "75001", "country": "France", "extra": 1])
            #expect(refused.status == .unprocessableContent)
            #expect(Set(refused.errorDetails.keys) == ["label", "line1", "city", "country", "extra"])
        }
    }

    /// Other countries: 3–10 letters, digits, spaces or dashes, kept as sent.
    @Test func anotherCountrysPostcodeIsKeptAsSentAndItsCodeUpperCased() async throws {
        try await withTestService(ProfilesService.self) { api, _ in
            let fr = try await api.post(
                "/addresses", as: TestEnvironment.uniqueUser(), body: ["line1": "1 rue", "city": "Paris", "postcode": "75001", "country": "fr"])
            #expect(fr.status == .created)
            #expect(try fr.data(Address.self).country == "FR")
        }
    }

    @Test func theFirstAddressIsPrimaryAndTheNextIsNot() async throws {
        try await withTestService(ProfilesService.self) { api, _ in
            let user = TestEnvironment.uniqueUser()
            let a = try await api.post("/addresses", as: user, body: Self.address("A"))
            #expect(try a.data(Address.self).isPrimary == true)
            _ = try await api.post("/addresses", as: user, body: Self.address("B"))
            #expect(try await primaries(api, user) == ["A"])
        }
    }

    @Test func anAddressCreatedAsPrimaryTakesTheFlagAndListsFirst() async throws {
        try await withTestService(ProfilesService.self) { api, _ in
            let user = TestEnvironment.uniqueUser()
            _ = try await threeAddresses(api, user)
            #expect(try await primaries(api, user) == ["C"])
            #expect(try await list(api, user).first?.label == "C")
        }
    }

    @Test func patchingAnAddressToPrimaryTakesTheFlag() async throws {
        try await withTestService(ProfilesService.self) { api, _ in
            let user = TestEnvironment.uniqueUser()
            let ids = try await threeAddresses(api, user)
            let patched = try await api.patch("/addresses/\(ids.a.lowercasedString)", as: user, body: ["isPrimary": true, "line2": "Flat 1"])
            #expect(patched.status == .ok)
            #expect(try patched.data(Address.self).line2 == "Flat 1")
            #expect(try await primaries(api, user) == ["A"])
        }
    }

    @Test func thePrimaryFlagCannotBeClearedOnThePrimary() async throws {
        try await withTestService(ProfilesService.self) { api, _ in
            let user = TestEnvironment.uniqueUser()
            let ids = try await threeAddresses(api, user)
            let cleared = try await api.patch("/addresses/\(ids.c.lowercasedString)", as: user, body: ["isPrimary": false])
            #expect(cleared.status == .unprocessableContent)
        }
    }

    /// Deleting the primary promotes the most recently created remaining address.
    @Test func deletingThePrimaryPromotesTheNewestRemainingAddress() async throws {
        try await withTestService(ProfilesService.self) { api, _ in
            let user = TestEnvironment.uniqueUser()
            let ids = try await threeAddresses(api, user)
            #expect(try await api.patch("/addresses/\(ids.a.lowercasedString)", as: user, body: ["isPrimary": true]).status == .ok)
            let deleted = try await api.delete("/addresses/\(ids.a.lowercasedString)", as: user)
            #expect(deleted.status == .noContent)
            #expect(deleted.body.readableBytes == 0)
            #expect(try await primaries(api, user) == ["C"])
            #expect(try await api.delete("/addresses/\(ids.c.lowercasedString)", as: user).status == .noContent)
            #expect(try await primaries(api, user) == ["B"])
        }
    }

    @Test func theEleventhAddressIsRefusedNamingTheLimit() async throws {
        try await withTestService(ProfilesService.self) { api, _ in
            let user = TestEnvironment.uniqueUser()
            for i in 1...10 {
                #expect(try await api.post("/addresses", as: user, body: Self.address("\(i)")).status == .created)
            }
            let eleventh = try await api.post("/addresses", as: user, body: Self.address("11"))
            #expect(eleventh.status == .unprocessableContent)
            #expect(eleventh.error?.details?.first?.field == "addresses")
            #expect(try await list(api, user).count == 10)
        }
    }

    @Test func anotherCustomersAddressIsNotFound() async throws {
        try await withTestService(ProfilesService.self) { api, _ in
            let user = TestEnvironment.uniqueUser()
            let stranger = TestEnvironment.uniqueUser()
            let mine = try await api.post("/addresses", as: user, body: Self.address("1")).data(Address.self).id.lowercasedString
            #expect(try await api.patch("/addresses/\(mine)", as: stranger, body: ["city": "X"]).status == .notFound)
            #expect(try await api.delete("/addresses/\(mine)", as: stranger).status == .notFound)
            #expect(try await list(api, stranger).isEmpty)
        }
    }

    @Test func aMalformedAddressIdIsNotFound() async throws {
        try await withTestService(ProfilesService.self) { api, _ in
            let user = TestEnvironment.uniqueUser()
            _ = try await api.post("/addresses", as: user, body: Self.address("1"))
            #expect(try await api.patch("/addresses/not-a-uuid", as: user, body: ["city": "X"]).status == .notFound)
            #expect(try await api.delete("/addresses/not-a-uuid", as: user).status == .notFound)
        }
    }
}
