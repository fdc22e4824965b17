import Vapor

/// Every route of the API, in one place.
func routes(_ app: Application) throws {
    let api = app.grouped("api", "v1")

    // MARK: Public
    api.get("health", use: HealthController.health)
    api.get("config", use: ConfigController.config)

    // MARK: Signed-in users
    let user = api.grouped(UserAuthMiddleware())
    user.get("auth", "me", use: AccountController.me)
    user.get("usage", use: AccountController.usage)
}
