/// The settings of one named profile, after the config and credentials files were merged.
public struct Profile: Sendable, Equatable {
    /// The profile name as written after `profile ` in the config file, or the section name in the credentials file.
    public var name: String
    /// Plain settings by lower-cased key.
    public var values: [String: String]
    /// Nested settings (an empty value followed by indented `key = value` lines, such as `s3 =`), by lower-cased key.
    public var sections: [String: [String: String]]

    public init(name: String, values: [String: String] = [:], sections: [String: [String: String]] = [:]) {
        self.name = name
        self.values = values
        self.sections = sections
    }

    /// The plain value of `key` (lower-case), or `nil` when it is absent.
    public subscript(key: String) -> String? { values[key] }
}
