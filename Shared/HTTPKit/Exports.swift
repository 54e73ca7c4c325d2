// What every service uses, so a service imports HTTPKit alone.
@_exported import Auth
@_exported import EventBus
@_exported import Hummingbird
@_exported import Logging
@_exported import PostgresNIO
@_exported import Storage
