import CBuildInfo

/// What `--version` prints: the version and the commit the binary was built from.
enum BuildInfo {
    /// The commit written by the Makefile's release rule (12 hex digits, `-dirty` when the tree had changes);
    /// `unknown` for a build made without the Makefile.
    static var commit: String {
        build_info_commit().map { String(cString: $0) } ?? "unknown"
    }

    /// `aws-elevate VERSION (commit COMMIT)`.
    static func versionLine(version: String, commit: String) -> String {
        "aws-elevate \(version) (commit \(commit))"
    }
}
