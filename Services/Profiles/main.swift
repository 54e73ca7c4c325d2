import ServiceKit

await ServiceCommand<ProfilesService>.run()
