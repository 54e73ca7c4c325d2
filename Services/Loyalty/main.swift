import HTTPKit

await ServiceCommand<LoyaltyService>.run()
