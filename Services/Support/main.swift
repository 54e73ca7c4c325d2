import ServiceKit

await ServiceCommand<SupportService>.run()
