import ServiceKit

await ServiceCommand<LoyaltyService>.run()
