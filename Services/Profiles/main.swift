import HTTPKit

await ServiceCommand<ProfilesService>.run()
