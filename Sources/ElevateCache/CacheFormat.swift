/// The version of the session cache's format, the one number behind every part of it: the key derivation
/// (``CacheKey``: `aws-elevate/v1/<digest>`), the entry payload (``EntryCodec``'s first byte), the file backend's
/// names and header (`v1-<digest>.session`, `AEVC` and this byte) and the keyring items' `version` attribute.
///
/// Any change to one of them (a new identity part in the key, a field in the payload, another file layout) is a
/// new version: entries of the old one are then never looked up again, and `cache list` shows them as stale until
/// `cache clear` removes them. The known-answer tests of the key (`CacheKeyTests`, `CacheKeyPinTests`) fail on a
/// change of the key that comes without one.
public enum CacheFormat {
    /// The current version.
    public static let version = 1

    /// ``version`` as the byte that the payload and the file header start with.
    static var versionByte: UInt8 { UInt8(version) }

    /// ``version`` as the keyring's `version` attribute holds it.
    public static var keyringVersion: String { String(version) }
}
