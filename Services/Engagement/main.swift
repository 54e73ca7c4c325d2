import ServiceKit

await ServiceCommand<EngagementService>.run()
