import ArgumentParser
import Contracts
import EventBus
import Logging

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `lw-dev publish <event>`: one event of another platform service (orders, auth, appointments,
/// brochures) sent to the broker as that service would send it: the contract's envelope, keyed
/// by the customer's id. For trying the platform by hand; `scripts/stack publish` runs it
/// against the local stack's broker. Prints the envelope it sent.
struct Publish: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Send an event the other platform services publish, as they would.",
        subcommands: [OrderPaid.self, UserCreatedEvent.self, AppointmentBooked.self, BrochureRequested.self])

    struct Common: ParsableArguments {
        @Option(help: "Kafka bootstrap servers (default: $KAFKA_BROKERS).") var brokers: String?
        @Option(help: "The customer: the event's userId.") var user = "demo-customer"
        @Option(help: "The envelope's id (default: a new one; the same id again is a redelivery, which consumers skip).")
        var eventId: String?

        func send<Payload>(_ topic: Topic<Payload>, _ payload: Payload, source: String) async throws {
            guard let brokers = brokers ?? ProcessInfo.processInfo.environment["KAFKA_BROKERS"], !brokers.isEmpty else {
                throw ValidationError("pass --brokers or set KAFKA_BROKERS (eval \"$(scripts/stack env)\" sets the local stack's)")
            }
            let id = try eventId.map { text in
                guard let id = UUID(uuidString: text) else { throw ValidationError("--event-id must be a UUID") }
                return id
            }
            let event = EventEnvelope(
                id: id ?? UUID(), topic: topic, occurredAt: Date(), source: source, correlationId: nil, userId: user, payload: payload)
            var logger = Logger(label: "lw-dev")
            logger.logLevel = .error
            let producer = try KafkaProducer(KafkaConfiguration(brokers: brokers, clientId: "lw-dev", groupId: "lw-dev"), logger: logger)
            do {
                try await producer.send(OutgoingMessage(topic: topic.name, key: user, value: Array(try JSONCoding.encoder.encode(event))))
            } catch {
                await producer.shutdown()
                throw error
            }
            await producer.shutdown()
            print(try JSONCoding.string(event))
        }
    }

    static func newId(_ prefix: String) -> String { "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())" }

    static func money(_ text: String) throws -> Decimal {
        guard let amount = Decimal(string: text), amount >= 0 else { throw ValidationError("'\(text)' is not an amount in pounds") }
        return amount
    }

    struct OrderPaid: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "order-paid",
            abstract: "order.payment.succeeded: loyalty points, a portal order, verified purchases (and a referral's completion).")
        @OptionGroup var common: Common
        @Option(help: "The order id (default: a new one).") var order: String?
        @Option(help: "The order reference customers see.") var ref: String?
        @Option(help: "The total in pounds.") var amount = "120.00"
        @Option(help: "A product bought, at the total split evenly (repeatable).") var product: [String] = ["oak-dining-table"]

        func run() async throws {
            let total = try Publish.money(amount)
            let each = total / Decimal(max(product.count, 1))
            let payload = OrderPaymentSucceeded(
                orderId: order ?? Publish.newId("order"), orderRef: ref, userId: common.user, totalAmount: total,
                items: product.map { .init(productId: $0, quantity: 1, unitPrice: each) }, paidAt: Date())
            try await common.send(Topics.orderPaymentSucceeded, payload, source: "order-service")
        }
    }

    struct UserCreatedEvent: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "user-created", abstract: "auth.user.created: a registration, which profiles turns into a profile.")
        @OptionGroup var common: Common
        @Option(help: "The email (default: <user>@example.com).") var email: String?
        @Option var firstName = "Demo"
        @Option var lastName = "Customer"

        func run() async throws {
            let payload = UserCreated(
                userId: common.user, email: email ?? "\(common.user)@example.com", firstName: firstName, lastName: lastName, registeredAt: Date())
            try await common.send(Topics.userCreated, payload, source: "auth-service")
        }
    }

    struct AppointmentBooked: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "appointment-booked", abstract: "appointment.booking.created: an appointment on the customer's portal.")
        @OptionGroup var common: Common
        @Option(help: "The appointment id (default: a new one).") var appointment: String?
        @Option(help: "HOME, ONLINE or SHOWROOM.") var type = "SHOWROOM"
        @Option(help: "The showroom, for a SHOWROOM appointment.") var showroom = "london-kings-road"
        @Option(help: "Days from now.") var inDays = 7

        func run() async throws {
            guard let kind = AppointmentBookingCreated.AppointmentType(rawValue: type) else {
                throw ValidationError("--type must be HOME, ONLINE or SHOWROOM")
            }
            let payload = AppointmentBookingCreated(
                appointmentId: appointment ?? Publish.newId("appointment"), userId: common.user, appointmentType: kind,
                showroomId: kind == .showroom ? showroom : nil, scheduledAt: Date().addingTimeInterval(Double(inDays) * 86_400),
                bookedAt: Date())
            try await common.send(Topics.appointmentBookingCreated, payload, source: "appointment-service")
        }
    }

    struct BrochureRequested: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "brochure-requested", abstract: "brochure.request.created: a brochure request on the customer's portal.")
        @OptionGroup var common: Common
        @Option(help: "The request id (default: a new one).") var request: String?
        @Option(help: "The brochure.") var brochure = "kitchens-2027"

        func run() async throws {
            let payload = BrochureRequestCreated(
                requestId: request ?? Publish.newId("brochure"), userId: common.user, brochureType: brochure, requestedAt: Date())
            try await common.send(Topics.brochureRequestCreated, payload, source: "brochure-service")
        }
    }
}
