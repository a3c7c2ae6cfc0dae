import Hummingbird

/// A request's context: the name of the token it came with, once `AccessMiddleware` has checked it.
public struct ServiceContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var tokenName: String?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        tokenName = nil
    }
}
