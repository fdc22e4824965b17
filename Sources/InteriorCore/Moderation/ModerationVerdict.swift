/// The kinds of request the moderation check refuses (SPEC §6). `docs/moderation.md` maps the
/// published taxonomy the lists follow onto them: self-harm and threats are `violentGore`,
/// sexual content with minors is `sexual`, weapons and explosives are `illegalGoods`.
public enum ModerationCategory: String, CaseIterable, Sendable {
    case sexual
    case hateful
    case violentGore = "violent_gore"
    case illegalGoods = "illegal_goods"
}

public enum ModerationVerdict: Equatable, Sendable {
    case allowed
    /// The category is for logs and metrics; users only ever see `Moderation.rejectionMessage`.
    case rejected(ModerationCategory)

    public var isAllowed: Bool { self == .allowed }
}
