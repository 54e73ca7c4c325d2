import HTTPKit

await ServiceCommand<EngagementService>.run()
