import Contracts
import EventBus
import Logging
import PostgresNIO

/// `portal_appointments`: the customer's bookings from `appointment.booking.created`, once each.
enum PortalAppointments {
    static func register(on handlers: inout EventHandlers, logger: Logger) {
        handlers.on(Topics.appointmentBookingCreated) { event, connection in
            let a = event.payload
            try await connection.query(
                """
                INSERT INTO portal_appointments (appointment_id, user_id, appointment_type, showroom_id, scheduled_at, booked_at)
                VALUES (\(a.appointmentId), \(a.userId), \(a.appointmentType.rawValue), \(a.showroomId), \(a.scheduledAt), \(a.bookedAt))
                ON CONFLICT (appointment_id) DO NOTHING
                """, logger: logger)
        }
    }
}
