import HTTPKit

await ServiceCommand<SupportService>.run()
