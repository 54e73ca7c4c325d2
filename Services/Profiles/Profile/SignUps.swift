import Contracts
import EventBus
import ServiceKit

/// `auth.user.created`: the customer signed up; create their profile from the auth data
/// unless they already have one (a redelivery, or `POST /profile` came first).
enum SignUps {
    static func register(on handlers: inout EventHandlers, runtime: Runtime) {
        handlers.on(Topics.userCreated) { event, connection in
            try await ProfileStore.createIfMissing(event.payload, correlationId: event.id.lowercasedString, runtime: runtime, on: connection)
        }
    }
}
